package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// userHZ is the unit of the CPU times in /proc (USER_HZ, 100 on Linux).
const userHZ = 100

// machine is the CPU time of the whole machine, all cores, in seconds.
const machine = "machine (all processes)"

// cpuSnapshot is the CPU time (user and system, in seconds) used so far by
// each of the benchmark's processes, by name, and by the whole machine.
type cpuSnapshot map[string]float64

// cpuTimes takes a snapshot: the provider process, the control plane
// processes this benchmark started (their command lines name its work
// folder), the benchmark itself (the simulator runs in it) and the whole
// machine, whose busy time beyond those is other people's work.
func (b *bench) cpuTimes() cpuSnapshot {
	s := cpuSnapshot{}
	if b.current != nil {
		if v, err := cpuSeconds(b.current.Pid()); err == nil {
			s["provider"] = v
		}
	}
	if v, err := cpuSeconds(os.Getpid()); err == nil {
		s["bench and simulator"] = v
	}
	self := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		ppid, err := parentOf(e.Name())
		if err != nil || ppid != self {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmd), b.env.Dir) {
			continue
		}
		name := filepath.Base(strings.SplitN(string(cmd), "\x00", 2)[0])
		if name != "etcd" && name != "kube-apiserver" && name != "kube-controller-manager" {
			continue // the provider (counted above), the watchdog
		}
		pid, _ := strconv.Atoi(e.Name())
		if v, err := cpuSeconds(pid); err == nil {
			s[name] += v
		}
	}
	if v, err := machineBusy(); err == nil {
		s[machine] = v
	}
	return s
}

// since returns the CPU seconds used between an earlier snapshot and s.
func (s cpuSnapshot) since(earlier cpuSnapshot) cpuSnapshot {
	out := cpuSnapshot{}
	for k, v := range s {
		if e, ok := earlier[k]; ok {
			out[k] = v - e
		}
	}
	return out
}

// perPoll divides every figure by the number of poll intervals.
func (s cpuSnapshot) perPoll(polls float64) cpuSnapshot {
	out := cpuSnapshot{}
	for k, v := range s {
		out[k] = v / polls
	}
	return out
}

// ours is the CPU time of the benchmark's own processes.
func (s cpuSnapshot) ours() float64 {
	total := 0.0
	for k, v := range s {
		if k != machine {
			total += v
		}
	}
	return total
}

// format lists the processes' CPU seconds, then the machine's and the
// share of it that was other people's work.
func (s cpuSnapshot) format() string {
	var parts []string
	for _, k := range []string{"provider", "kube-apiserver", "etcd", "kube-controller-manager", "bench and simulator"} {
		if v, ok := s[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1f", k, v))
		}
	}
	out := strings.Join(parts, ", ")
	if m, ok := s[machine]; ok {
		out += fmt.Sprintf("; machine busy %.1f, of which others' %.1f", m, max(0, m-s.ours()))
	}
	return out
}

func parentOf(pid string) (string, error) {
	f, err := statFields(pid)
	if err != nil {
		return "", err
	}
	return f[1], nil
}

// statFields returns the fields of /proc/<pid>/stat after the command name
// (which is in parentheses and may contain spaces): state, ppid, ...
func statFields(pid string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return nil, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return nil, fmt.Errorf("short /proc/%s/stat", pid)
	}
	return f, nil
}

// cpuSeconds is the user and system CPU time of a process, in seconds.
func cpuSeconds(pid int) (float64, error) {
	f, err := statFields(strconv.Itoa(pid))
	if err != nil {
		return 0, err
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return (utime + stime) / userHZ, nil
}

// machineBusy is the CPU time all cores spent busy (not idle, not waiting
// for I/O) since boot, in seconds.
func machineBusy() (float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, fmt.Errorf("unexpected /proc/stat %q", line)
	}
	total := 0.0
	for i, v := range f[1:] {
		if i >= 8 { // guest times are already in user and nice
			break
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, err
		}
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		total += x
	}
	return total / userHZ, nil
}
