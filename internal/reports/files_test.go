package reports

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func content(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// entries lists what dir holds, hidden temporary files included.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFilesWritesAll(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.md")
	require.NoError(t, os.WriteFile(a, []byte("an older run"), 0o600))
	require.NoError(t, WriteFiles(File{a, content("{}")}, File{b, content("# b")}))
	assert.Equal(t, []string{"a.json", "b.md"}, entries(t, dir))
	data, err := os.ReadFile(a)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(data))
	info, err := os.Stat(b)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
}

// A rendering that fails after writing part of its file (a full disk, a
// run that cannot be rendered) leaves none of the run's files behind.
func TestWriteFilesRenderingFailsPartWay(t *testing.T) {
	dir := t.TempDir()
	full := errors.New("no space left on device")
	err := WriteFiles(
		File{filepath.Join(dir, "r.results.json"), content(`{"verdict": "READY"}`)},
		File{filepath.Join(dir, "r.junit.xml"), func(w io.Writer) error {
			_, _ = io.WriteString(w, "<testsuites><testsuite")
			return full
		}},
		File{filepath.Join(dir, "r.md"), content("# READY")})
	require.ErrorIs(t, err, full)
	assert.Contains(t, err.Error(), "r.junit.xml")
	assert.Empty(t, entries(t, dir), "no file of the run, and no temporary file")
}

// When the files are complete but one cannot be put in place, the ones
// already renamed are taken back: all or none.
func TestWriteFilesRenameFails(t *testing.T) {
	dir := t.TempDir()
	blocked := filepath.Join(dir, "r.md")
	require.NoError(t, os.Mkdir(blocked, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(blocked, "x"), nil, 0o644)) // a non-empty directory cannot be replaced
	err := WriteFiles(
		File{filepath.Join(dir, "r.results.json"), content("{}")},
		File{filepath.Join(dir, "r.junit.xml"), content("<testsuites/>")},
		File{blocked, content("# READY")})
	require.Error(t, err)
	assert.Equal(t, []string{"r.md"}, entries(t, dir), "only the directory that was there before")
}

func TestWriteFilesNothingToWrite(t *testing.T) {
	require.NoError(t, WriteFiles())
}
