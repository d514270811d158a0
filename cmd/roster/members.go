package main

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/urfave/cli/v2"
)

func membersCommand() *cli.Command {
	return &cli.Command{
		Name:   "members",
		Usage:  "list the cluster's members as this agent's gossip sees them",
		Flags:  clientFlags(),
		Action: listMembers,
	}
}

func joinCommand() *cli.Command {
	return &cli.Command{
		Name:      "join",
		Usage:     "make the agent join a cluster through a member's gossip address",
		ArgsUsage: "ADDR",
		Flags:     clientFlags(),
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 1, "roster join ADDR"); err != nil {
				return err
			}
			client, err := newClient(c)
			if err != nil {
				return err
			}
			addr := c.Args().First()
			if err := client.Agent().Join(addr, false); err != nil {
				return apiFailure(c, "join "+addr, err)
			}
			fmt.Fprintf(c.App.Writer, "Successfully joined cluster by contacting %s\n", addr)
			return nil
		},
	}
}

func leaveCommand() *cli.Command {
	return &cli.Command{
		Name:  "leave",
		Usage: "make the agent leave the cluster gracefully and shut down",
		Flags: clientFlags(),
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, "roster leave"); err != nil {
				return err
			}
			client, err := newClient(c)
			if err != nil {
				return err
			}
			if err := client.Agent().Leave(); err != nil {
				return apiFailure(c, "leave", err)
			}
			fmt.Fprintln(c.App.Writer, "Graceful leave complete")
			return nil
		},
	}
}

// memberRow is one line of `roster members`.
type memberRow struct {
	Name    string
	Address string
	Status  string
	Role    string
	Leader  bool
	Build   string
}

var memberStatus = map[int]string{1: "alive", 2: "leaving", 3: "left", 4: "failed"}

func listMembers(c *cli.Context) error {
	if err := wantArgs(c, 0, "roster members"); err != nil {
		return err
	}
	client, err := newClient(c)
	if err != nil {
		return err
	}
	members, err := client.Agent().Members(false)
	if err != nil {
		return apiFailure(c, "members", err)
	}
	leader, _ := client.Status().Leader() // "" without a leader: nobody is marked
	rows := make([]memberRow, 0, len(members))
	for _, m := range members {
		status := memberStatus[m.Status]
		if status == "" {
			status = "unknown"
		}
		rows = append(rows, memberRow{
			Name: m.Name, Address: m.Addr + ":" + strconv.Itoa(int(m.Port)), Status: status,
			Role: m.Tags["roster_role"], Leader: leader != "" && m.Tags["raft_addr"] == leader,
			Build: m.Tags["build"],
		})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	if c.String("format") == "json" {
		return printJSON(c.App.Writer, rows)
	}
	table := make([][]string, 0, len(rows))
	for _, r := range rows {
		mark := ""
		if r.Leader {
			mark = "*"
		}
		table = append(table, []string{r.Name, r.Address, r.Status, r.Role, mark, r.Build})
	}
	return printTable(c.App.Writer, []string{"NODE", "ADDRESS", "STATUS", "ROLE", "LEADER", "BUILD"}, table)
}
