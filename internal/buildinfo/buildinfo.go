// Package buildinfo names the running cmkcheck: the version, commit and
// build date that its evidence records. They come from the binary alone:
// values set with -ldflags at release, else the Go toolchain's build
// information. Nothing is asked of the current directory (no git: a
// repository's config may run commands, and its HEAD is not cmkcheck's).
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// Unknown is what a build that does not know a value records.
const Unknown = "unknown"

// Set at release:
//
//	go build -ldflags "-X github.com/aep-cmk/cmkcheck/internal/buildinfo.version=v1.2.3
//	  -X github.com/aep-cmk/cmkcheck/internal/buildinfo.commit=<sha>
//	  -X github.com/aep-cmk/cmkcheck/internal/buildinfo.date=<RFC 3339>"
var version, commit, date string

// Info names one build.
type Info struct {
	Version string `json:"version"`
	// Commit is the VCS revision, "-dirty" appended when the tree had
	// uncommitted changes, or Unknown.
	Commit string `json:"commit"`
	Date   string `json:"date"` // the commit's or the release's time, or Unknown
	Go     string `json:"go"`
}

// Read returns the running binary's build, read once a process.
var Read = sync.OnceValue(func() Info {
	bi, _ := debug.ReadBuildInfo()
	return from(bi, version, commit, date)
})

// from combines the -ldflags values (which win) with the build information.
func from(bi *debug.BuildInfo, ldVersion, ldCommit, ldDate string) Info {
	i := Info{Version: ldVersion, Commit: ldCommit, Date: ldDate}
	if bi != nil {
		i.Go = bi.GoVersion
		// "(devel)" is what a build from a source tree says: no version.
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		var revision, when string
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if i.Commit == "" && revision != "" {
			i.Commit = revision
			if modified {
				i.Commit += "-dirty"
			}
		}
		if i.Date == "" {
			i.Date = when
		}
	}
	for _, v := range []*string{&i.Version, &i.Commit, &i.Date, &i.Go} {
		if *v == "" {
			*v = Unknown
		}
	}
	return i
}
