package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deps lists the packages the cmkcheck binary links (go list -deps).
func deps(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append(append([]string{"list", "-deps"}, args...), ".")...)
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps %v", args)
	return strings.Fields(string(out))
}

// The plain binary links neither testcontainers-go (and Docker's client)
// nor terratest: they are test tooling, and brought over a hundred packages.
// With -tags testcontainers it may start LocalStack, and links the first.
func TestBinaryLinksNoTestTooling(t *testing.T) {
	plain := deps(t)
	assert.Contains(t, plain, "github.com/aep-cmk/cmkcheck/internal/targets", "the listing is the binary's")
	for _, p := range plain {
		assert.NotContains(t, p, "testcontainers", "cmkcheck links %s", p)
		assert.NotContains(t, p, "github.com/gruntwork-io/terratest", "cmkcheck links %s", p)
		assert.NotContains(t, p, "github.com/docker/", "cmkcheck links %s", p)
		assert.NotContains(t, p, module+testkit, "cmkcheck links the test kit %s", p)
	}
	tagged := strings.Join(deps(t, "-tags", "testcontainers"), "\n")
	assert.Contains(t, tagged, "github.com/testcontainers/testcontainers-go\n", "-tags testcontainers adds the LocalStack start")
	assert.NotContains(t, tagged, "github.com/gruntwork-io/terratest")
}
