package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst lets flags follow positional arguments, as users type them
// (`roster kv watch config/ --prefix`): urfave/cli stops parsing flags at
// the first argument, so this moves every flag (and the value of a flag
// that takes one) in front of the arguments, with "--" in between. As with
// most CLIs, an argument that starts with '-' goes after an explicit "--";
// an unknown flag is reported by urfave/cli.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var cmd *cli.Command
	commands := app.Commands
	i := 1
	for i < len(args) {
		next := findCommand(commands, args[i])
		if next == nil {
			break
		}
		cmd, commands = next, next.Subcommands
		i++
	}
	if cmd == nil || len(cmd.Subcommands) > 0 && i < len(args) && findCommand(cmd.Subcommands, args[i]) != nil {
		return args
	}
	takesValue := map[string]bool{"help": false, "h": false}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, name := range f.Names() {
			takesValue[name] = !isBool
		}
	}
	var flags, positional []string
	for j := i; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			positional = append(positional, args[j+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		value := takesValue[name]
		flags = append(flags, a)
		if value && !hasValue && j+1 < len(args) {
			flags = append(flags, args[j+1])
			j++
		}
	}
	out := append([]string{}, args[:i]...)
	out = append(out, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}

func findCommand(commands []*cli.Command, name string) *cli.Command {
	for _, c := range commands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
