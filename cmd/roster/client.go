package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/consul/api"
	"github.com/urfave/cli/v2"
)

// clientFlags are the flags every client command takes.
func clientFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "http-addr",
			Usage:   "address of the agent's HTTP API",
			Value:   "127.0.0.1:8500",
			EnvVars: []string{"ROSTER_HTTP_ADDR", "CONSUL_HTTP_ADDR"},
		},
		&cli.StringFlag{
			Name:  "format",
			Usage: "output format: table or json",
			Value: "table",
		},
	}
}

// newClient builds a Consul API client for the agent at --http-addr.
func newClient(c *cli.Context) (*api.Client, error) {
	if f := c.String("format"); f != "table" && f != "json" {
		return nil, fail(exitUsage, "--format must be table or json, not %q", f)
	}
	cfg := api.DefaultNonPooledConfig()
	addr := c.String("http-addr")
	if strings.HasPrefix(addr, "http://") || strings.HasPrefix(addr, "https://") {
		u, err := url.Parse(addr)
		if err != nil {
			return nil, fail(exitUsage, "--http-addr %q: %v", addr, err)
		}
		cfg.Scheme, addr = u.Scheme, u.Host
	}
	cfg.Address = addr
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fail(exitUsage, "--http-addr %q: %v", addr, err)
	}
	return client, nil
}

// apiFailure turns a client error into a one-line exit error: the agent's
// own message for an HTTP error, "cannot reach" for a network one.
func apiFailure(c *cli.Context, what string, err error) error {
	var se api.StatusError
	if errors.As(err, &se) {
		code := exitError
		if se.Code == 404 {
			code = exitNotFound
		}
		msg := se.Body
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", se.Code)
		}
		return fail(code, "%s: %s", what, msg)
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return fail(exitUnreachable, "%s: cannot reach the agent at %s: %v", what, c.String("http-addr"), rootCause(err))
	}
	return fail(exitError, "%s: %v", what, err)
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable writes a header and rows, aligned.
func printTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// wantArgs checks the number of a command's positional arguments.
func wantArgs(c *cli.Context, n int, usage string) error {
	if c.NArg() != n {
		return fail(exitUsage, "expected %d argument(s): %s", n, usage)
	}
	return nil
}
