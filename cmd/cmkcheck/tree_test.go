package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The repository tracks source, not what a build or a test run produces: no
// executable that is not a script (a 26 MB mkfleet binary was once
// committed at the root), and nothing under a report directory.
func TestTreeTracksNoBinaryOrOutput(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	require.NoError(t, err, "this test reads the tracked files with git")
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	cmd := exec.Command(gitBin, "ls-files", "-z", "--stage")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "git ls-files in %s", root)
	var checked int
	for _, entry := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		meta, path, ok := strings.Cut(entry, "\t")
		require.True(t, ok, "git ls-files line %q", entry)
		mode := strings.Fields(meta)[0]
		if mode == "120000" || mode == "160000" { // symbolic link, submodule
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, path))
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet in the index
		}
		require.NoError(t, err)
		checked++
		assert.False(t, isBinaryExecutable(data), "%s is a compiled executable: build output is not tracked", path)
		if mode == "100755" {
			assert.True(t, bytes.HasPrefix(data, []byte("#!")), "%s is executable but not a script (no #! line)", path)
		}
		for _, dir := range []string{"out/", "/out/"} {
			assert.False(t, strings.HasPrefix(path, dir) || strings.Contains(path, "/"+dir), "%s is under a report directory", path)
		}
	}
	assert.Greater(t, checked, 100, "the listing is the repository's")
}

// isBinaryExecutable recognises ELF, Mach-O and PE (Windows) executables.
func isBinaryExecutable(data []byte) bool {
	for _, magic := range [][]byte{
		{0x7f, 'E', 'L', 'F'},
		{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe},
	} {
		if bytes.HasPrefix(data, magic) {
			return true
		}
	}
	// PE: "MZ", then the offset of "PE\0\0" at 0x3c.
	if len(data) > 0x40 && data[0] == 'M' && data[1] == 'Z' {
		off := int(data[0x3c]) | int(data[0x3d])<<8 | int(data[0x3e])<<16 | int(data[0x3f])<<24
		return off >= 0 && off+4 <= len(data) && bytes.Equal(data[off:off+4], []byte("PE\x00\x00"))
	}
	return false
}

// make test fuzzes every Fuzz function of the module: the Makefile's
// FUZZ_TARGETS names each exactly once, in its package (a target left
// behind by a move once fuzzed nothing, and passed).
func TestFuzzTargetsAreListed(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	var listed []string
	for _, line := range strings.Split(string(makefile), "\n") {
		if rest, ok := strings.CutPrefix(line, "FUZZ_TARGETS = "); ok {
			listed = strings.Fields(rest)
		}
	}
	require.NotEmpty(t, listed, "the Makefile has a FUZZ_TARGETS line")
	var found []string
	require.NoError(t, filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "func Fuzz"); ok {
				name := "Fuzz" + rest[:strings.Index(rest, "(")]
				found = append(found, "./"+filepath.ToSlash(rel)+":"+name)
			}
		}
		return nil
	}))
	assert.ElementsMatch(t, found, listed, "FUZZ_TARGETS and the module's Fuzz functions")
}
