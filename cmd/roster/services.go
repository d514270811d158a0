package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

func servicesCommand() *cli.Command {
	return &cli.Command{
		Name:   "services",
		Usage:  "list, register and deregister service instances",
		Flags:  clientFlags(),
		Action: listServices,
		Subcommands: []*cli.Command{
			{
				Name:      "register",
				Usage:     "register an instance from a JSON file (Consul's service definition; - for stdin)",
				ArgsUsage: "FILE.json",
				Flags:     clientFlags(),
				Action:    registerService,
			},
			{
				Name:      "deregister",
				Usage:     "deregister an instance of this agent by ID",
				ArgsUsage: "ID",
				Flags:     clientFlags(),
				Action:    deregisterService,
			},
		},
	}
}

// instanceRow is one line of `roster services`.
type instanceRow struct {
	Service string   `json:"Service"`
	ID      string   `json:"ID"`
	Node    string   `json:"Node"`
	Address string   `json:"Address"`
	Port    int      `json:"Port"`
	Tags    []string `json:"Tags"`
	Health  string   `json:"Health"`
}

func listServices(c *cli.Context) error {
	if err := wantArgs(c, 0, "roster services [--format json]"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	names, _, err := client.Catalog().Services(nil)
	if err != nil {
		return apiFailure(c, "list services", err)
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	rows := []instanceRow{}
	for _, name := range sorted {
		entries, _, err := client.Health().Service(name, "", false, nil)
		if err != nil {
			return apiFailure(c, "list "+name, err)
		}
		for _, e := range entries {
			addr := e.Service.Address
			if addr == "" {
				addr = e.Node.Address
			}
			rows = append(rows, instanceRow{
				Service: e.Service.Service, ID: e.Service.ID, Node: e.Node.Node,
				Address: addr, Port: e.Service.Port, Tags: e.Service.Tags,
				Health: e.Checks.AggregatedStatus(),
			})
		}
	}
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, rows)
	}
	table := make([][]string, 0, len(rows))
	for _, r := range rows {
		table = append(table, []string{r.Service, r.ID, r.Node, r.Address, strconv.Itoa(r.Port), strings.Join(r.Tags, ","), r.Health})
	}
	return printTable(c.App.Writer, []string{"SERVICE", "ID", "NODE", "ADDRESS", "PORT", "TAGS", "HEALTH"}, table)
}

func registerService(c *cli.Context) error {
	if err := wantArgs(c, 1, "roster services register FILE.json (or - for stdin)"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	body, err := readInput(c, c.Args().First())
	if err != nil {
		return err
	}
	if !json.Valid(body) {
		return fail(exitUsage, "%s is not valid JSON", c.Args().First())
	}
	var def struct{ ID, Name string }
	_ = json.Unmarshal(body, &def)
	if _, err := client.Raw().Write("/v1/agent/service/register", json.RawMessage(body), nil, nil); err != nil {
		return apiFailure(c, "register", err)
	}
	id := def.ID
	if id == "" {
		id = def.Name
	}
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, map[string]string{"Registered": id})
	}
	fmt.Fprintf(c.App.Writer, "registered %s\n", id)
	return nil
}

func deregisterService(c *cli.Context) error {
	if err := wantArgs(c, 1, "roster services deregister ID"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	id := c.Args().First()
	if err := client.Agent().ServiceDeregister(id); err != nil {
		return apiFailure(c, "deregister "+id, err)
	}
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, map[string]string{"Deregistered": id})
	}
	fmt.Fprintf(c.App.Writer, "deregistered %s\n", id)
	return nil
}

// readInput reads a file argument: "-" is stdin.
func readInput(c *cli.Context, name string) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	if name == "-" {
		b, err = io.ReadAll(c.App.Reader)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fail(exitError, "read %s: %v", name, err)
	}
	return b, nil
}
