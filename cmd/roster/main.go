// Command roster runs a roster agent and talks to one.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes. Scripts may rely on them; never renumber.
const (
	exitOK          = 0
	exitError       = 1 // anything not listed below
	exitUsage       = 2 // bad flags or arguments
	exitUnreachable = 3 // the agent could not be reached
	exitNotFound    = 4 // the key, service or node does not exist
	exitCASConflict = 5 // a check-and-set lost
)

// exitErr carries an exit code with a one-line message.
type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitErr{code: code, msg: fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdin, stdout, stderr)
}

// runContext is run with a context that long-running commands (kv watch)
// stop on.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, flagsFirst(app, args))
	if err == nil {
		return exitOK
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		fmt.Fprintf(stderr, "roster: %s\n", ee.msg)
		return ee.code
	}
	fmt.Fprintf(stderr, "roster: %s\n", err)
	return exitUsage
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                 "roster",
		Usage:                "DNS-based service discovery and configuration store",
		Version:              version,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		ExitErrHandler:       func(*cli.Context, error) {}, // run() reports errors
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return fail(exitUsage, "%v (see --help)", err)
		},
		Commands: []*cli.Command{
			agentCommand(),
			servicesCommand(),
			kvCommand(),
			membersCommand(),
			joinCommand(),
			leaveCommand(),
			versionCommand(),
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "roster %s\n", version)
			return nil
		},
	}
}
