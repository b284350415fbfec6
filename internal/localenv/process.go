package localenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// watchdogScript waits for the owner ($1) to die, then kills every PID listed
// in the file $2 and removes the folder $3 (or, when $3 is empty, only $2).
// It is a shell loop rather than a Go process so that it needs nothing built
// and works from a test binary as well as from cmd/localrun.
const watchdogScript = `owner=$1 pids=$2 dir=$3
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
if [ -s "$pids" ]; then kill -KILL $(cat "$pids") 2>/dev/null; sleep 1; fi
if [ -n "$dir" ]; then rm -rf -- "$dir"; else rm -f -- "$pids"; fi
`

// children records the PIDs of every process an Env started, in a file that
// a watchdog process reads should the owner die without cleaning up.
type children struct {
	mu       sync.Mutex
	pids     map[int]bool
	file     string
	watchdog *exec.Cmd
}

// startWatchdog starts the watchdog of the current process. removeDir is
// removed by it after the kill; empty keeps the folder.
func startWatchdog(pidFile, removeDir string) (*children, error) {
	c := &children{pids: map[int]bool{}, file: pidFile}
	if err := c.writeLocked(); err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "localenv-watchdog",
		strconv.Itoa(os.Getpid()), pidFile, removeDir)
	// Its own process group: a Ctrl-C in the terminal must not kill it before
	// it has done its job. No stdout or stderr: a test binary's output pipe
	// held open by it would keep `go test` waiting.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start the watchdog: %w", err)
	}
	c.watchdog = cmd
	return c, nil
}

func (c *children) add(pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pids[pid] = true
	_ = c.writeLocked() // best effort: the PID is also killed by Close
}

func (c *children) remove(pid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pids, pid)
	_ = c.writeLocked()
}

// writeLocked replaces the PID file atomically, so the watchdog never reads
// half of it.
func (c *children) writeLocked() error {
	pids := make([]string, 0, len(c.pids))
	for pid := range c.pids {
		pids = append(pids, strconv.Itoa(pid))
	}
	slices.Sort(pids)
	tmp := c.file + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(pids, " ")+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.file)
}

// stop ends the watchdog; called last by Close, once every child is gone.
func (c *children) stop() {
	if c.watchdog == nil || c.watchdog.Process == nil {
		return
	}
	_ = c.watchdog.Process.Kill()
	_ = c.watchdog.Wait()
}

// childrenOf returns the PIDs of this process's children whose command line
// contains one of markers (envtest starts etcd and kube-apiserver without
// telling their PIDs; their folders, inside the work folder, identify them).
func childrenOf(markers ...string) []int {
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name is in parentheses and may contain spaces; the
		// fields after it are state, then the parent's PID.
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(self) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, m := range markers {
			if strings.Contains(string(cmdline), m) {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// process is a child process whose output goes to a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	kids *children
	log  *os.File
	done chan struct{}
	err  error // what Wait returned; read after done is closed
}

// startProcess starts path with args and env (added to this process's
// environment), appending its stdout and stderr to logPath.
func startProcess(name, path string, args, env []string, logPath string, kids *children) (*process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "=== %s: starting %s %s\n", time.Now().Format(time.RFC3339), path, strings.Join(args, " "))
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so a Ctrl-C in the terminal reaches only the
	// caller, which then stops its children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, kids: kids, log: log, done: make(chan struct{})}
	kids.add(cmd.Process.Pid)
	go func() {
		p.err = cmd.Wait()
		kids.remove(cmd.Process.Pid)
		fmt.Fprintf(log, "=== %s: %s exited: %s\n", time.Now().Format(time.RFC3339), name, cmd.ProcessState)
		_ = log.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to timeout, then sends SIGKILL. It returns
// the exit error, if the process did not exit with status 0 on SIGTERM.
func (p *process) stop(timeout time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.exitError()
	case <-time.After(timeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("%s did not exit within %s of SIGTERM and was killed", p.name, timeout)
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *process) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

func (p *process) exitError() error {
	if p.err == nil {
		return nil
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return fmt.Errorf("%s exited: %s", p.name, exit.ProcessState)
	}
	return fmt.Errorf("%s: %w", p.name, p.err)
}

func syscallKill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
