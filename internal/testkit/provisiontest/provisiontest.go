// Package provisiontest holds the terratest-style helpers around
// provision: Foo(t, ...) fails the test where provision.FooE returns an
// error, and registers the cleanup at the point of creation. They are test
// tooling, not API, hence internal.
package provisiontest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// TB is the part of testing.TB the helpers use (testing.B and testing.T
// both satisfy it).
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	Context() context.Context
}

// Teardown says what happens to a created key when the test ends.
type Teardown bool

// The two teardowns: the suites choose KeepKey when SKIP_teardown is set,
// as terratest's test_structure stages do.
const (
	DeleteKey Teardown = false // schedule its deletion (the normal case)
	KeepKey   Teardown = true  // leave it for a later run
)

// CreateKey is provision.CreateKeyE that fails the test on error, and
// registers the key's teardown with t.Cleanup at once.
func CreateKey(t TB, cfg aws.Config, spec provision.Spec, teardown Teardown) *provision.Key {
	t.Helper()
	key, err := provision.CreateKeyE(t.Context(), cfg, spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if teardown == KeepKey {
			t.Logf("keeping key %s (%s): SKIP_teardown is set", key.KeyID, key.Alias)
			return
		}
		if err := provision.DeleteKeyE(context.Background(), cfg, key); err != nil {
			t.Errorf("cleanup of key %s failed: %v", key.KeyID, err)
		}
	})
	return key
}

// CreateIAM makes the spec's IAM objects, fails the test on error, and
// registers the deletion of every object it made with t.Cleanup at once.
func CreateIAM(t TB, cfg aws.Config, spec IAMSpec) *IAMObjects {
	t.Helper()
	o, err := createIAME(t.Context(), cfg, spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := DeleteIAME(context.Background(), cfg, o); err != nil {
			t.Errorf("cleanup of the IAM objects (suffix %s) failed: %v", o.Suffix, err)
		}
	})
	return o
}
