package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is one output of a run: where it goes and how it is rendered.
type File struct {
	Path  string
	Write func(io.Writer) error
}

// WriteFiles writes every file of a run or of none: each is rendered into
// a temporary file beside its path, and only when all are complete are
// they renamed into place. A failure (a full disk, a rendering error, a
// rename refused) removes what this call wrote, so no later `verify` or
// `report` finds a file that looks whole but is not, or one whose
// companions are missing.
func WriteFiles(files ...File) (err error) {
	tmps := make([]string, 0, len(files))
	defer func() {
		if err != nil {
			for _, t := range tmps {
				os.Remove(t)
			}
		}
	}()
	for _, f := range files {
		tmp, err := writeBeside(f)
		if err != nil {
			return err
		}
		tmps = append(tmps, tmp)
	}
	for i, f := range files {
		if err := os.Rename(tmps[i], f.Path); err != nil {
			for _, done := range files[:i] {
				os.Remove(done.Path)
			}
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}

// writeBeside renders f into a new temporary file in f's directory (so the
// rename stays on one file system) and returns its name.
func writeBeside(f File) (string, error) {
	t, err := os.CreateTemp(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+"-*.part")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", f.Path, err)
	}
	w := bufio.NewWriterSize(t, 64<<10)
	err = f.Write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = t.Chmod(0o644)
	}
	err = errors.Join(err, t.Close())
	if err != nil {
		os.Remove(t.Name())
		return "", fmt.Errorf("writing %s: %w", f.Path, err)
	}
	return t.Name(), nil
}

// ReadFileLimited reads a file, refusing one larger than limit: the one
// bounded read of the files cmkcheck is given (snapshots, templates,
// results files, a shard's reports).
func ReadFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
