package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// The kernel sends a child's parent-death signal when the *thread* that
// forked it exits, and the Go runtime does end threads now and then
// (go.dev/issue/27505): a healthy agent would be SIGKILLed at random. So
// every agent is forked by one goroutine locked to its thread for the life
// of the test process.
var (
	spawnOnce sync.Once
	spawnReqs = make(chan spawnReq)
)

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

func spawner() {
	runtime.LockOSThread() // never unlocked, and this goroutine never returns
	for req := range spawnReqs {
		req.errc <- req.cmd.Start()
	}
}

// spawn starts cmd on the spawner thread.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() { go spawner() })
	req := spawnReq{cmd: cmd, errc: make(chan error, 1)}
	spawnReqs <- req
	return <-req.errc
}

// process is one supervised OS process.
type process struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // exit status; read only after done
}

// startProcess starts cmd with its output appended to logPath. onExit, if
// not nil, is called with the exit status once the process is reaped.
func startProcess(cmd *exec.Cmd, logPath string, onExit func(error)) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// If the test process dies (a timeout panics without cleanups), the
	// kernel kills the agents too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := spawn(cmd); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
		if onExit != nil {
			onExit(p.err)
		}
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) signal(sig syscall.Signal) error {
	if p.exited() {
		return fmt.Errorf("process %d has exited (%v)", p.pid(), p.err)
	}
	return p.cmd.Process.Signal(sig)
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *process) kill() error {
	if p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("process %d survived SIGKILL for 10s", p.pid())
	}
}

// terminate resumes the process if stopped, asks it to exit, and kills it
// if it has not within grace.
func (p *process) terminate(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		return p.kill()
	}
}
