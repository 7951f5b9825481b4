// Command latencyproxy puts AWS-like round trips in front of an emulator:
// a faultproxy whose one rule delays every request by -delay, over
// kept-alive connections both ways. It prints its URL, then serves until
// interrupted and prints what it saw. For scripts/bench-vs-prowler.sh:
//
//	go run ./internal/testkit/faultproxy/latencyproxy -upstream http://127.0.0.1:4571 -delay 25ms
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
)

func main() {
	upstream := flag.String("upstream", "", "the emulator's base URL")
	delay := flag.Duration("delay", 25*time.Millisecond, "added to every request")
	flag.Parse()
	if *upstream == "" || *delay < 0 {
		fmt.Fprintln(os.Stderr, "latencyproxy: -upstream URL is required, and -delay must not be negative")
		os.Exit(2)
	}
	p, err := faultproxy.New(*upstream, faultproxy.Rule{Fault: faultproxy.Latency, Delay: *delay})
	if err != nil {
		fmt.Fprintln(os.Stderr, "latencyproxy:", err)
		os.Exit(1)
	}
	begin := time.Now()
	fmt.Println(p.URL)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	p.Close()
	s := p.Stats()
	fmt.Fprintf(os.Stderr, "latencyproxy: %d requests over %d client and %d upstream connections, %.1f in flight on average over %s\n",
		s.Requests, s.ClientConns, s.UpstreamConns, s.Busy.Seconds()/time.Since(begin).Seconds(), time.Since(begin).Round(time.Millisecond))
}
