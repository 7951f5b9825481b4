// Package formatcheck validates the SARIF, OCSF and OSCAL files the tests
// write, each with its own ecosystem's tool: scripts/format-validators/
// validate.py run by the interpreter of the venv that
// scripts/format-validators.sh builds and prints (make test puts it in
// CMK_FORMAT_PYTHON, which the tests read: only they and cmd read the
// environment).
package formatcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Env names the validators' interpreter.
const Env = "CMK_FORMAT_PYTHON"

// Ready says whether the validators can run: it skips the test, saying
// why, when python is "" (Env is not set); it fails it when the named
// interpreter cannot run them, which would otherwise pass unchecked.
func Ready(t testing.TB, python string) {
	t.Helper()
	if python == "" {
		t.Skip(Env + " is not set (make test sets it from scripts/format-validators.sh), so the SARIF, OCSF and OSCAL files are written but not validated")
	}
	if out, err := exec.Command(python, script(t), "--check-install").CombinedOutput(); err != nil {
		t.Fatalf("%s=%s cannot run the validators: %v\n%s", Env, python, err, out)
	}
}

// Validate runs validate.py KIND ARGS... and fails the test with what it
// says when a file does not validate.
func Validate(t testing.TB, python, kind string, args ...string) {
	t.Helper()
	out, err := exec.Command(python, append([]string{script(t), kind}, args...)...).CombinedOutput()
	if err != nil {
		t.Errorf("%s %v does not validate: %v\n%s", kind, args, err, out)
	}
}

// script is validate.py, found from the test's directory up to the module's root.
func script(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "format-validators", "validate.py")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("formatcheck: no go.mod above the test's directory")
		}
		dir = parent
	}
}
