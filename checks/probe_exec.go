package checks

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/rosterhq/roster/registry"
)

// execWaitDelay bounds how long a finished script's output pipes are waited
// for when a process it left behind still holds them.
const execWaitDelay = time.Second

// execProbe is an exec (script) check: Args run without a shell; exit 0 is
// passing, 1 warning, anything else critical, as Nagios plugins report.
// The command runs in its own process group, and a timeout kills the whole
// group, so a script's children do not outlive it. Output is stdout and
// stderr together, capped at MaxOutputSize.
type execProbe struct {
	args    []string
	timeout time.Duration
}

func newExecProbe(args []string, timeout time.Duration) (*execProbe, error) {
	if len(args) == 0 || args[0] == "" {
		return nil, errors.New("invalid script check: no args")
	}
	return &execProbe{args: args, timeout: timeout}, nil
}

func (p *execProbe) probe(ctx context.Context) result {
	var out cappedBuffer
	cmd := exec.CommandContext(ctx, p.args[0], p.args[1:]...)
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Called only while the leader has not been waited for, so its PID,
	// which is the group's ID, cannot have been reused.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = execWaitDelay
	err := cmd.Run()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		msg := fmt.Sprintf("Timed out (%s) running check", p.timeout)
		if s := out.String(); s != "" {
			msg += "\n\n" + s
		}
		return result{registry.HealthCritical, clip(msg, false)}
	}
	if cmd.ProcessState == nil {
		return result{registry.HealthCritical, clip(fmt.Sprintf("run %s: %s", p.args[0], err), false)}
	}
	switch cmd.ProcessState.ExitCode() {
	case 0:
		return result{registry.HealthPassing, out.String()}
	case 1:
		return result{registry.HealthWarning, out.String()}
	default:
		return result{registry.HealthCritical, out.String()}
	}
}

func (p *execProbe) close() {}
