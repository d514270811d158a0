package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/consul/api"
	"github.com/urfave/cli/v2"
)

func kvCommand() *cli.Command {
	flags := clientFlags
	return &cli.Command{
		Name:  "kv",
		Usage: "read and write the configuration store",
		Subcommands: []*cli.Command{
			{
				Name: "get", Usage: "print a key's value", ArgsUsage: "KEY",
				Flags: append(flags(),
					&cli.BoolFlag{Name: "detailed", Usage: "print all fields of the entry"},
					&cli.BoolFlag{Name: "recurse", Usage: "print every key under KEY as key:value"},
					&cli.BoolFlag{Name: "keys", Usage: "list the keys under KEY, folded at --separator"},
					&cli.StringFlag{Name: "separator", Usage: "fold --keys at this separator", Value: "/"},
					&cli.BoolFlag{Name: "stale", Usage: "read this agent's replica, without the leader"},
					&cli.BoolFlag{Name: "consistent", Usage: "confirm leadership with a quorum before reading"},
				),
				Action: kvGet,
			},
			{
				Name: "put", Usage: "write a value (VALUE, @FILE or - for stdin)", ArgsUsage: "KEY [VALUE]",
				Flags: append(flags(),
					&cli.StringFlag{Name: "cas", Usage: "write only if the key's ModifyIndex is `INDEX` (0: only if absent)"},
					&cli.Uint64Flag{Name: "flags", Usage: "opaque flags stored with the value"},
				),
				Action: kvPut,
			},
			{
				Name: "delete", Usage: "delete a key", ArgsUsage: "KEY",
				Flags: append(flags(),
					&cli.BoolFlag{Name: "recurse", Usage: "delete every key with KEY as prefix"},
					&cli.StringFlag{Name: "cas", Usage: "delete only if the key's ModifyIndex is `INDEX`"},
				),
				Action: kvDelete,
			},
			{
				Name: "list", Usage: "list the entries under a prefix", ArgsUsage: "[PREFIX]",
				Flags: flags(), Action: kvList,
			},
			{
				Name: "export", Usage: "export the entries under a prefix as JSON (Consul's format)", ArgsUsage: "[PREFIX]",
				Flags: flags(), Action: kvExport,
			},
			{
				Name: "import", Usage: "import entries from JSON (Consul's export format)", ArgsUsage: "FILE|-",
				Flags: flags(), Action: kvImport,
			},
			{
				Name: "watch", Usage: "print each change of a key (or prefix) until interrupted", ArgsUsage: "KEY",
				Flags: append(flags(),
					&cli.BoolFlag{Name: "prefix", Usage: "watch every key under KEY"},
				),
				Action: kvWatch,
			},
		},
	}
}

// kvEntryOut is how the CLI shows an entry in JSON: Value as text when it
// is UTF-8, base64 otherwise (ValueBase64 says which).
type kvEntryOut struct {
	Key         string
	Value       string
	ValueBase64 bool `json:",omitempty"`
	Flags       uint64
	CreateIndex uint64
	ModifyIndex uint64
	LockIndex   uint64
}

func toEntryOut(p *api.KVPair) kvEntryOut {
	out := kvEntryOut{Key: p.Key, Value: string(p.Value), Flags: p.Flags,
		CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex, LockIndex: p.LockIndex}
	if !isText(p.Value) {
		out.Value, out.ValueBase64 = base64.StdEncoding.EncodeToString(p.Value), true
	}
	return out
}

func isText(b []byte) bool { return utf8.Valid(b) }

func queryOptions(c *cli.Context) (*api.QueryOptions, error) {
	q := &api.QueryOptions{}
	if c.Bool("stale") && c.Bool("consistent") {
		return nil, fail(exitUsage, "--stale and --consistent cannot be combined")
	}
	q.AllowStale, q.RequireConsistent = c.Bool("stale"), c.Bool("consistent")
	return q, nil
}

func kvGet(c *cli.Context) error {
	if err := wantArgs(c, 1, "roster kv get KEY"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	q, err := queryOptions(c)
	if err != nil {
		return err
	}
	key, w, asJSON := c.Args().First(), c.App.Writer, c.String("format") == "json"
	switch {
	case c.Bool("keys"):
		keys, _, err := client.KV().Keys(key, c.String("separator"), q)
		if err != nil {
			return apiFailure(c, "get "+key, err)
		}
		if asJSON {
			return printJSON(w, nonNil(keys))
		}
		for _, k := range keys {
			fmt.Fprintln(w, k)
		}
		return nil
	case c.Bool("recurse"):
		pairs, _, err := client.KV().List(key, q)
		if err != nil {
			return apiFailure(c, "get "+key, err)
		}
		if asJSON {
			return printJSON(w, entriesOut(pairs))
		}
		for _, p := range pairs {
			fmt.Fprintf(w, "%s:%s\n", p.Key, p.Value)
		}
		return nil
	}
	p, _, err := client.KV().Get(key, q)
	if err != nil {
		return apiFailure(c, "get "+key, err)
	}
	if p == nil {
		return fail(exitNotFound, "key %q not found", key)
	}
	switch {
	case asJSON:
		return printJSON(w, toEntryOut(p))
	case c.Bool("detailed"):
		e := toEntryOut(p)
		return printTable(w, []string{"FIELD", "VALUE"}, [][]string{
			{"Key", e.Key}, {"Value", e.Value}, {"Flags", fmt.Sprint(e.Flags)},
			{"CreateIndex", fmt.Sprint(e.CreateIndex)}, {"ModifyIndex", fmt.Sprint(e.ModifyIndex)},
			{"LockIndex", fmt.Sprint(e.LockIndex)},
		})
	}
	_, err = w.Write(append(p.Value, '\n'))
	return err
}

func entriesOut(pairs api.KVPairs) []kvEntryOut {
	out := make([]kvEntryOut, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, toEntryOut(p))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// parseIndexFlag reads a --cas INDEX flag; set reports whether it was given.
func parseIndexFlag(c *cli.Context, name string) (idx uint64, set bool, err error) {
	if !c.IsSet(name) {
		return 0, false, nil
	}
	idx, err = strconv.ParseUint(c.String(name), 10, 64)
	if err != nil {
		return 0, false, fail(exitUsage, "--%s %q is not a non-negative integer", name, c.String(name))
	}
	return idx, true, nil
}

func kvPut(c *cli.Context) error {
	n := min(max(c.NArg(), 1), 2) // KEY, and VALUE unless the value is empty
	if err := wantArgs(c, n, "roster kv put KEY [VALUE|@FILE|-]"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	key := c.Args().Get(0)
	value, err := readValue(c, c.Args().Get(1))
	if err != nil {
		return err
	}
	cas, useCAS, err := parseIndexFlag(c, "cas")
	if err != nil {
		return err
	}
	p := &api.KVPair{Key: key, Value: value, Flags: c.Uint64("flags"), ModifyIndex: cas}
	if useCAS {
		ok, _, err := client.KV().CAS(p, nil)
		if err != nil {
			return apiFailure(c, "put "+key, err)
		}
		if !ok {
			return fail(exitCASConflict, "did not write %s: check-and-set failed (index %d is not current)", key, cas)
		}
	} else if _, err := client.KV().Put(p, nil); err != nil {
		return apiFailure(c, "put "+key, err)
	}
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, map[string]any{"Key": key, "Written": true})
	}
	fmt.Fprintf(c.App.Writer, "Success! Data written to: %s\n", key)
	return nil
}

// readValue resolves a put VALUE argument: "@file", "-" (stdin) or literal.
func readValue(c *cli.Context, arg string) ([]byte, error) {
	switch {
	case arg == "-":
		return readInput(c, "-")
	case strings.HasPrefix(arg, "@"):
		return readInput(c, arg[1:])
	}
	return []byte(arg), nil
}

func kvDelete(c *cli.Context) error {
	if err := wantArgs(c, 1, "roster kv delete KEY"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	key := c.Args().First()
	cas, useCAS, err := parseIndexFlag(c, "cas")
	if err != nil {
		return err
	}
	switch {
	case useCAS && c.Bool("recurse"):
		return fail(exitUsage, "--cas cannot be combined with --recurse")
	case useCAS:
		ok, _, err := client.KV().DeleteCAS(&api.KVPair{Key: key, ModifyIndex: cas}, nil)
		if err != nil {
			return apiFailure(c, "delete "+key, err)
		}
		if !ok {
			return fail(exitCASConflict, "did not delete %s: check-and-set failed (index %d is not current)", key, cas)
		}
	case c.Bool("recurse"):
		if _, err := client.KV().DeleteTree(key, nil); err != nil {
			return apiFailure(c, "delete "+key, err)
		}
	default:
		if _, err := client.KV().Delete(key, nil); err != nil {
			return apiFailure(c, "delete "+key, err)
		}
	}
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, map[string]any{"Key": key, "Deleted": true})
	}
	fmt.Fprintf(c.App.Writer, "Success! Deleted key: %s\n", key)
	return nil
}

func prefixArg(c *cli.Context, usage string) (string, error) {
	if c.NArg() == 0 {
		return "", wantArgs(c, 0, usage)
	}
	return c.Args().First(), wantArgs(c, 1, usage)
}

// listPrefix reads the entries under the command's optional PREFIX.
func listPrefix(c *cli.Context, verb string) (api.KVPairs, error) {
	prefix, err := prefixArg(c, "roster kv "+verb+" [PREFIX]")
	if err != nil {
		return nil, err
	}
	client, err := newClient(c)
	if err != nil {
		return nil, err
	}
	pairs, _, err := client.KV().List(prefix, nil)
	if err != nil {
		return nil, apiFailure(c, verb+" "+prefix, err)
	}
	return pairs, nil
}

func kvList(c *cli.Context) error {
	pairs, err := listPrefix(c, "list")
	if err != nil {
		return err
	}
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, entriesOut(pairs))
	}
	rows := make([][]string, 0, len(pairs))
	for _, p := range pairs {
		rows = append(rows, []string{p.Key, fmt.Sprint(p.Flags), fmt.Sprint(p.ModifyIndex), fmt.Sprint(len(p.Value))})
	}
	return printTable(c.App.Writer, []string{"KEY", "FLAGS", "MODIFY-INDEX", "BYTES"}, rows)
}

// exportEntry is Consul's `consul kv export` format.
type exportEntry struct {
	Key   string `json:"key"`
	Flags uint64 `json:"flags"`
	Value string `json:"value"`
}

func kvExport(c *cli.Context) error {
	pairs, err := listPrefix(c, "export")
	if err != nil {
		return err
	}
	out := make([]exportEntry, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, exportEntry{Key: p.Key, Flags: p.Flags, Value: base64.StdEncoding.EncodeToString(p.Value)})
	}
	return printJSON(c.App.Writer, out)
}

func kvImport(c *cli.Context) error {
	if err := wantArgs(c, 1, "roster kv import FILE|-"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	data, err := readInput(c, c.Args().First())
	if err != nil {
		return err
	}
	var entries []exportEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return fail(exitUsage, "%s is not a JSON array of {key, flags, value} entries: %v", c.Args().First(), err)
	}
	values := make([][]byte, len(entries))
	for i, e := range entries {
		if e.Key == "" {
			return fail(exitUsage, "entry %d has no key; nothing imported", i)
		}
		if values[i], err = base64.StdEncoding.DecodeString(e.Value); err != nil {
			return fail(exitUsage, "entry %d (%s): value is not base64; nothing imported", i, e.Key)
		}
	}
	// Each key is written atomically; a failure stops the import and says
	// how far it got, so it can be re-run (puts are idempotent).
	for i, e := range entries {
		if _, err := client.KV().Put(&api.KVPair{Key: e.Key, Flags: e.Flags, Value: values[i]}, nil); err != nil {
			return apiFailure(c, fmt.Sprintf("import %s (imported %d of %d before it)", e.Key, i, len(entries)), err)
		}
	}
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, map[string]int{"Imported": len(entries)})
	}
	fmt.Fprintf(c.App.Writer, "Imported: %d\n", len(entries))
	return nil
}

// kvWatch prints the current value(s), then each change, using blocking
// queries, until SIGINT/SIGTERM.
func kvWatch(c *cli.Context) error {
	if err := wantArgs(c, 1, "roster kv watch KEY [--prefix]"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	key, prefix := c.Args().First(), c.Bool("prefix")
	seen := map[string]uint64{} // key -> ModifyIndex last printed
	var index uint64
	first := true
	for {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Minute}).WithContext(ctx)
		var pairs api.KVPairs
		var meta *api.QueryMeta
		if prefix {
			pairs, meta, err = client.KV().List(key, q)
		} else {
			var p *api.KVPair
			p, meta, err = client.KV().Get(key, q)
			if p != nil {
				pairs = api.KVPairs{p}
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return apiFailure(c, "watch "+key, err)
		}
		if err := printChanges(c, pairs, seen, meta.LastIndex, first); err != nil {
			return err
		}
		first = false
		// Consul's rule: if the index went backwards (a snapshot restore),
		// start over rather than block forever.
		if meta.LastIndex < index {
			index = 0
		} else {
			index = meta.LastIndex
		}
	}
}

// printChanges prints entries that are new or modified since seen, and keys
// that disappeared, then updates seen.
func printChanges(c *cli.Context, pairs api.KVPairs, seen map[string]uint64, index uint64, first bool) error {
	w, asJSON := c.App.Writer, c.String("format") == "json"
	present := map[string]bool{}
	for _, p := range pairs {
		present[p.Key] = true
		if seen[p.Key] == p.ModifyIndex {
			continue
		}
		seen[p.Key] = p.ModifyIndex
		if asJSON {
			if err := json.NewEncoder(w).Encode(map[string]any{"Event": "set", "Index": index, "Entry": toEntryOut(p)}); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(w, "%d set %s %s\n", index, p.Key, p.Value)
		}
	}
	var gone []string
	for k := range seen {
		if !present[k] {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		delete(seen, k)
		if asJSON {
			if err := json.NewEncoder(w).Encode(map[string]any{"Event": "delete", "Index": index, "Key": k}); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(w, "%d delete %s\n", index, k)
		}
	}
	if first && len(pairs) == 0 && !asJSON {
		fmt.Fprintf(c.App.ErrWriter, "watching %s: no value yet\n", c.Args().First())
	}
	return nil
}
