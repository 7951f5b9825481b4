// Package container starts LocalStack in Docker through testcontainers-go,
// as a targets.StartFunc. It is its own package so that only what asks for
// it links testcontainers-go and Docker's client: the suites, and cmkcheck
// built with -tags testcontainers. The plain command never does.
//
// It reads no environment: the edges read the variables named below and
// pass their values (Settings).
package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/localstack"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// DefaultLocalStackImage is the image started when none is named.
const DefaultLocalStackImage = "localstack/localstack:4.14.0"

// Services are the LocalStack services started, those scripts/localstack.sh
// starts natively: KMS, IAM and STS for the key, EventBridge, CloudWatch
// Logs, CloudWatch and SNS for CMK-MON-1, CloudFormation for the
// before-apply self-test. The container is ready when each is.
var Services = []string{"kms", "iam", "sts", "events", "logs", "cloudwatch", "sns", "cloudformation"}

// defaultPort is LocalStack's own.
const defaultPort = 4566

// The variables behind Settings, named in the errors (internal/env reads
// them at the edges).
const (
	NetworkVar = "LOCALSTACK_CONTAINER_NETWORK"
	PortVar    = "LOCALSTACK_CONTAINER_PORT"
	PullVar    = "LOCALSTACK_CONTAINER_PULL"
)

// HostRuntime is the testcontainers-go runtime this package registers for
// an engine with no bridge: Docker, with the host's network as its default
// network. Docker's own runtime wants a network named bridge and, finding
// none, creates a bridge network of its own (a private address range)
// before any option of a request is applied. Testcontainers-go selects a
// runtime by TESTCONTAINERS_PROVIDER, which it reads itself.
const HostRuntime = "docker-host-network"

type hostRuntime struct{}

// Initialize: on the host's network a container's ports are the host's
// loopback ports. PublishedHost is the address the endpoint names; without
// it testcontainers-go, finding itself in a container (/.dockerenv), would
// name the default gateway's.
func (hostRuntime) Initialize(context.Context) (testcontainers.RuntimeConfig, error) {
	return testcontainers.RuntimeConfig{DefaultBridgeNetwork: "host", PublishedHost: "127.0.0.1"}, nil
}

func init() {
	if err := testcontainers.RegisterProvider(HostRuntime, func() testcontainers.RuntimeProvider { return hostRuntime{} }); err != nil {
		panic(err) // only a second registration of the name, a programming error
	}
}

// Options say which LocalStack to start and how.
type Options struct {
	Image     string // "" for DefaultLocalStackImage
	AuthToken string // LOCALSTACK_AUTH_TOKEN for the container, "" for none
	// HostNetwork runs the container on the host's network, for an engine
	// started without a bridge: LocalStack listens on 127.0.0.1:Port and
	// there is no port mapping. Testcontainers-go must run on HostRuntime
	// (TESTCONTAINERS_PROVIDER) and without Ryuk, which needs a bridge
	// (TESTCONTAINERS_RYUK_DISABLED=true); it reads both itself, and a
	// start checks them.
	HostNetwork bool
	Port        int // with HostNetwork; 0 is 4566
	// NeverPull: the image must already be in the engine (one built
	// locally, with no registry to pull from); absent, it is an error.
	NeverPull bool
}

// Settings are the variables' values as the edges read them.
type Settings struct {
	Image, AuthToken    string
	Network, Port, Pull string
}

// Options checks the settings; a value that means nothing here is an
// error naming its variable, never a default.
func (s Settings) Options() (Options, error) {
	o := Options{Image: s.Image, AuthToken: s.AuthToken}
	switch s.Network {
	case "":
	case "host":
		o.HostNetwork = true
	default:
		return Options{}, fmt.Errorf("%s=%q: the only network is host (unset: the engine's default, with a mapped port)", NetworkVar, s.Network)
	}
	if s.Port != "" {
		if !o.HostNetwork {
			return Options{}, fmt.Errorf("%s=%q is only for %s=host (otherwise the engine maps the port)", PortVar, s.Port, NetworkVar)
		}
		p, err := strconv.Atoi(s.Port)
		if err != nil || p < 1 || p > 65535 {
			return Options{}, fmt.Errorf("%s=%q is not a port (1 to 65535)", PortVar, s.Port)
		}
		o.Port = p
	}
	switch s.Pull {
	case "":
	case "never":
		o.NeverPull = true
	default:
		return Options{}, fmt.Errorf("%s=%q: the only value is never (unset: pulled when the engine does not have it)", PullVar, s.Pull)
	}
	return o, nil
}

func (o Options) image() string {
	if o.Image == "" {
		return DefaultLocalStackImage
	}
	return o.Image
}

func (o Options) port() int {
	if o.HostNetwork && o.Port != 0 {
		return o.Port
	}
	return defaultPort
}

// LocalStack is a StartFunc that starts LocalStack as o says, each call a
// container of its own.
func LocalStack(o Options) targets.StartFunc {
	return func(ctx context.Context) (string, func(), error) { return start(ctx, o) }
}

// Shared starts one LocalStack on first use and hands its endpoint to every
// later caller, for a test binary whose tests each open a target: with the
// host's network there is one port, so one LocalStack, as with the native
// one. Close, at the end of the process, terminates it.
type Shared struct {
	o    Options
	mu   sync.Mutex
	done bool
	ep   string
	stop func()
	err  error
}

// NewShared is a Shared LocalStack started as o says.
func NewShared(o Options) *Shared { return &Shared{o: o} }

// Start is Shared's targets.StartFunc: the first call starts LocalStack,
// the others get its endpoint (or the first call's error); the stop each
// returns does nothing, Close stops it.
func (s *Shared) Start(ctx context.Context) (string, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		// The container outlives the test that happens to start it.
		s.ep, s.stop, s.err = start(context.WithoutCancel(ctx), s.o)
		s.done = true
	}
	if s.err != nil {
		return "", nil, s.err
	}
	return s.ep, func() {}, nil
}

// Close terminates the container if one was started.
func (s *Shared) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

func start(ctx context.Context, o Options) (string, func(), error) {
	image := o.image()
	if o.HostNetwork {
		if err := portFree(o.port()); err != nil {
			return "", nil, err
		}
		cfg := testcontainers.ReadConfig()
		if err := hostReady(cfg.Config.Provider, cfg.RyukDisabled); err != nil {
			return "", nil, err
		}
	}
	if err := Healthy(ctx); err != nil {
		return "", nil, fmt.Errorf("%w; no Docker engine for testcontainers (%v)", targets.ErrNoLocalStack, err)
	}
	if o.NeverPull {
		if err := present(ctx, image); err != nil {
			return "", nil, err
		}
	}
	port := fmt.Sprintf("%d/tcp", o.port())
	env := map[string]string{"SERVICES": strings.Join(Services, ","), "EAGER_SERVICE_LOADING": "1"}
	if o.AuthToken != "" {
		env["LOCALSTACK_AUTH_TOKEN"] = o.AuthToken
	}
	opts := []testcontainers.ContainerCustomizer{testcontainers.WithEnv(env)}
	if o.HostNetwork {
		listen := fmt.Sprintf("127.0.0.1:%d", o.port())
		opts = append(opts,
			// No DNS server: on the host's network it would take port 53.
			testcontainers.WithEnv(map[string]string{"GATEWAY_LISTEN": listen, "LOCALSTACK_HOST": listen, "DNS_ADDRESS": "0"}),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = "host" }),
			// Nothing to publish on the host's network.
			testcontainers.CustomizeRequestOption(func(req *testcontainers.GenericContainerRequest) error {
				req.ExposedPorts = nil
				return nil
			}),
		)
	}
	// Ready when every service is: health answers before the providers load.
	opts = append(opts, testcontainers.WithWaitStrategyAndDeadline(3*time.Minute,
		wait.ForHTTP("/_localstack/health").WithPort(port).WithResponseMatcher(servicesUp).WithStartupTimeout(3*time.Minute)))
	ctr, err := localstack.Run(ctx, image, opts...)
	stop := func() {
		if ctr != nil {
			_ = testcontainers.TerminateContainer(ctr)
		}
	}
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("starting %s with testcontainers: %w", image, err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, port, "http")
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("finding the container's endpoint: %w", err)
	}
	return endpoint, stop, nil
}

// hostReady checks testcontainers-go's own settings for the host's
// network: its runtime is HostRuntime, so that it makes no bridge network,
// and Ryuk, its reaper, is off: Ryuk runs in a container of its own on a
// bridge, from an image pulled from a registry.
func hostReady(runtime string, ryukDisabled bool) error {
	var missing []string
	if runtime != HostRuntime {
		missing = append(missing, fmt.Sprintf("TESTCONTAINERS_PROVIDER=%s (testcontainers-go's runtime is %q: it would create a bridge network)", HostRuntime, runtime))
	}
	if !ryukDisabled {
		missing = append(missing, "TESTCONTAINERS_RYUK_DISABLED=true (Ryuk needs a bridge network and an image from a registry)")
	}
	if len(missing) == 0 {
		return nil
	}
	return errors.New("LocalStack on the host's network: set " + strings.Join(missing, " and "))
}

// portFree fails when something already listens on 127.0.0.1:port: with
// the host's network, its answers would be taken for the container's.
func portFree(port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil
	}
	_ = c.Close()
	return fmt.Errorf("%s is in use: LocalStack on the host's network must listen there itself (another program's answers would be taken for its own); choose a free port (%s)", addr, PortVar)
}

// present fails when the engine does not have image.
func present(ctx context.Context, image string) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := p.Client().ImageInspect(ctx, image); err != nil {
		return fmt.Errorf("the image %s is not in the Docker engine and is not to be pulled (%s=never): build and load it with scripts/localstack-image.sh load (%v)", image, PullVar, err)
	}
	return nil
}

// servicesUp says whether LocalStack's health body reports each of
// Services available or running.
func servicesUp(body io.Reader) bool {
	var h struct {
		Services map[string]string `json:"services"`
	}
	if json.NewDecoder(body).Decode(&h) != nil {
		return false
	}
	for _, s := range Services {
		if st := h.Services[s]; st != "available" && st != "running" {
			return false
		}
	}
	return true
}

// Healthy asks the Docker engine for its info; testcontainers panics in
// places when there is no engine, so a panic counts as "no engine".
func Healthy(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Health(ctx)
}
