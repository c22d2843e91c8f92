package main

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Machine describes where the numbers were measured. Server, database,
// broker and load generator share it, so the cores are the budget of all
// of them together.
type Machine struct {
	Cores         int    `json:"cores"`
	MemoryBytes   int64  `json:"memoryBytes"`
	CPUModel      string `json:"cpuModel,omitempty"`
	Kernel        string `json:"kernel,omitempty"`
	GoVersion     string `json:"goVersion"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
	OpenFileLimit uint64 `json:"openFileLimit"`
	// LoadAverage is the 1-minute load when the report was made: on a
	// machine shared with other work, a load above the core count means
	// the numbers are low for reasons outside chatd.
	LoadAverage float64 `json:"loadAverage"`
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if kb, ok := procField("/proc/meminfo", "MemTotal"); ok {
		if n, err := strconv.ParseInt(strings.Fields(kb)[0], 10, 64); err == nil {
			m.MemoryBytes = n * 1024
		}
	}
	m.CPUModel, _ = procField("/proc/cpuinfo", "model name")
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		m.OpenFileLimit = lim.Max
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.LoadAverage, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file.
func procField(path, key string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			v = strings.TrimSpace(v)
			return v, v != ""
		}
	}
	return "", false
}

// cpuSample is the machine's cumulative CPU time from /proc/stat, in ticks.
type cpuSample struct {
	busy, total int64
	ok          bool
}

func readCPU() cpuSample {
	line, ok := procLine("/proc/stat", "cpu ")
	if !ok {
		return cpuSample{}
	}
	var s cpuSample
	for i, f := range strings.Fields(line)[1:] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return cpuSample{}
		}
		s.total += n
		if i != 3 && i != 4 { // idle and iowait
			s.busy += n
		}
	}
	s.ok = true
	return s
}

// busySince is the share (0..1) of all cores that were busy since an
// earlier sample, or -1 when unknown.
func (s cpuSample) busySince(earlier cpuSample) float64 {
	if !s.ok || !earlier.ok || s.total <= earlier.total {
		return -1
	}
	return float64(s.busy-earlier.busy) / float64(s.total-earlier.total)
}

func procLine(path, prefix string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			return sc.Text(), true
		}
	}
	return "", false
}

// processCPU is this process's user+system CPU time in seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
