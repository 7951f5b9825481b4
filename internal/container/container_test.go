package container

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// Without an endpoint and without a Docker engine, asking for LocalStack
// is an error that says how to get one, never a silent skip.
func TestLocalStackWithoutEndpointOrDockerIsAnError(t *testing.T) {
	if Healthy(context.Background()) == nil {
		t.Skip("a Docker engine answers here; testcontainers would start LocalStack")
	}
	o := targets.Opener{StartLocalStack: LocalStack(Options{})}
	_, err := o.Open(context.Background(), keystate.KindLocalStack, "", "")
	require.Error(t, err)
	assert.ErrorIs(t, err, targets.ErrNoLocalStack)
	assert.Contains(t, err.Error(), "scripts/localstack.sh start")
	assert.Contains(t, err.Error(), "no Docker engine for testcontainers")
}

func TestSettings(t *testing.T) {
	o, err := Settings{Image: "img", AuthToken: "tok", Network: "host", Port: "4575", Pull: "never"}.Options()
	require.NoError(t, err)
	assert.Equal(t, Options{Image: "img", AuthToken: "tok", HostNetwork: true, Port: 4575, NeverPull: true}, o)
	assert.Equal(t, 4575, o.port())

	o, err = Settings{}.Options()
	require.NoError(t, err)
	assert.Equal(t, Options{}, o)
	assert.Equal(t, DefaultLocalStackImage, o.image())
	assert.Equal(t, 4566, o.port())

	o, err = Settings{Network: "host"}.Options()
	require.NoError(t, err)
	assert.Equal(t, 4566, o.port(), "LocalStack's own port when none is named")

	for _, c := range []struct {
		s       Settings
		naming  string
		message string
	}{
		{Settings{Network: "bridge"}, NetworkVar, "the only network is host"},
		{Settings{Port: "4575"}, PortVar, "only for " + NetworkVar + "=host"},
		{Settings{Network: "host", Port: "x"}, PortVar, "not a port"},
		{Settings{Network: "host", Port: "0"}, PortVar, "not a port"},
		{Settings{Network: "host", Port: "65536"}, PortVar, "not a port"},
		{Settings{Pull: "always"}, PullVar, "the only value is never"},
	} {
		_, err := c.s.Options()
		require.Error(t, err, "%+v", c.s)
		assert.Contains(t, err.Error(), c.naming)
		assert.Contains(t, err.Error(), c.message)
	}
}

// With the host's network, a port something already listens on is
// refused before any engine is asked: that program's answers would be
// taken for LocalStack's.
func TestHostNetworkRefusesAPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, _, err = LocalStack(Options{HostNetwork: true, Port: port})(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "127.0.0.1:"+strconv.Itoa(port)+" is in use")
	assert.Contains(t, err.Error(), PortVar)
}

func TestHostNetworkNeedsTheHostRuntimeAndNoRyuk(t *testing.T) {
	assert.NoError(t, hostReady(HostRuntime, true))
	err := hostReady(HostRuntime, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TESTCONTAINERS_RYUK_DISABLED=true")
	assert.NotContains(t, err.Error(), "TESTCONTAINERS_PROVIDER")
	err = hostReady("", true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TESTCONTAINERS_PROVIDER="+HostRuntime)
	assert.NotContains(t, err.Error(), "RYUK")
	err = hostReady("docker", false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TESTCONTAINERS_PROVIDER="+HostRuntime)
	assert.Contains(t, err.Error(), "TESTCONTAINERS_RYUK_DISABLED=true")
}

func TestServicesUp(t *testing.T) {
	body := func(skip string, status string) string {
		var parts []string
		for _, s := range Services {
			st := status
			if s == skip {
				st = "disabled"
			}
			parts = append(parts, strconv.Quote(s)+": "+strconv.Quote(st))
		}
		return `{"services": {` + strings.Join(parts, ", ") + `}, "version": "4.14.0"}`
	}
	assert.True(t, servicesUp(strings.NewReader(body("", "running"))))
	assert.True(t, servicesUp(strings.NewReader(body("", "available"))))
	assert.False(t, servicesUp(strings.NewReader(body("events", "running"))), "one service not up")
	assert.False(t, servicesUp(strings.NewReader(`{"services": {}}`)))
	assert.False(t, servicesUp(strings.NewReader(`not json`)))
}

// An image the engine does not have is an error naming how to build it,
// not a pull, when pulling is off.
func TestNeverPullRefusesAMissingImage(t *testing.T) {
	if err := Healthy(context.Background()); err != nil {
		t.Skipf("no Docker engine answers here (%v); make test-containers starts one", err)
	}
	_, _, err := LocalStack(Options{Image: "localstack/localstack:0.0.0-absent", NeverPull: true})(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not in the Docker engine and is not to be pulled")
	assert.Contains(t, err.Error(), "scripts/localstack-image.sh load")
}

// A Shared LocalStack starts once: a later caller gets the first start's
// outcome, here its error, rather than a second attempt.
func TestSharedStartsOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	s := NewShared(Options{HostNetwork: true, Port: port})
	defer s.Close()
	_, _, first := s.Start(context.Background())
	require.Error(t, first)
	require.NoError(t, l.Close())
	_, _, second := s.Start(context.Background())
	assert.Same(t, first, second, "the first start's error, not a new attempt on the now free port")
}

// The errors name the variables internal/env reads at the edges, and
// env.Container converts into Settings field for field.
func TestSettingsAreTheEdgesVariables(t *testing.T) {
	assert.Equal(t, env.LocalStackNetwork, NetworkVar)
	assert.Equal(t, env.LocalStackPort, PortVar)
	assert.Equal(t, env.LocalStackPull, PullVar)
	c := env.Container{Image: "i", AuthToken: "t", Network: "host", Port: "4575", Pull: "never"}
	assert.Equal(t, Settings{Image: "i", AuthToken: "t", Network: "host", Port: "4575", Pull: "never"}, Settings(c))
}
