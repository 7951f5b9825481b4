// Command cmkcheck checks an AWS KMS key against Adobe Experience Platform's
// requirements for customer managed keys.
//
// `cmkcheck help` describes every subcommand and flag (run.go holds them).
//
// Exit status: 0 READY, 1 NOT READY, 2 usage or configuration error.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
