// Command cmkcheck checks an AWS KMS key against Adobe Experience Platform's
// requirements for customer managed keys.
//
//	cmkcheck evaluate --snapshot FILE [--profile FILE] [--format text|json] [--junit FILE] [--markdown FILE] [--results FILE]
//	cmkcheck report --results FILE [--format text|json] [--junit FILE] [--markdown FILE]
//	cmkcheck verify --results FILE [--format text|json]
//	cmkcheck audit [--target embedded|localstack|aws] [--profile FILE] [--out DIR]
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
