package netns

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// cmdTimeout bounds one ip/iptables invocation; they take milliseconds.
const cmdTimeout = 20 * time.Second

// run runs a command and returns its error with stderr folded in.
func run(name string, args ...string) error {
	_, err := output(nil, name, args...)
	return err
}

// output runs a command with optional stdin and returns its stdout.
func output(stdin []byte, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// inNS runs a command inside a namespace.
func inNS(ns string, stdin []byte, name string, args ...string) (string, error) {
	return output(stdin, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// CheckTools reports which of the commands the suite needs are missing.
func CheckTools() error {
	var missing []string
	for _, tool := range []string{"ip", "iptables", "iptables-restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing commands %s: install iproute2 and iptables", strings.Join(missing, ", "))
	}
	return nil
}
