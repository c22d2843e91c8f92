// Command chatbench is the load generator of chatd. It speaks only the
// public protocol (docs/protocol.md): it creates its users and tokens through
// the admin API, opens /ws with Bearer tokens, exchanges JSON frames, and
// reads the server's memory and CPU from /metrics. It runs one named
// scenario (idle, direct, group, presence, burst-reconnect), checks that
// nothing was lost, duplicated or reordered, and prints a table (and JSON
// with -json). A run that breaks a delivery promise exits 1, however fast.
//
//	chatbench -url http://127.0.0.1:8080 -admin-token $TOKEN -scenario direct -pairs 250 -rate 2500 -duration 20s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitPass  = 0
	exitFail  = 1 // a check failed or the run could not complete
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 1 && args[0] == "-worker" {
		return runWorker(os.Stdin, os.Stdout)
	}
	if len(args) > 0 && args[0] == "-summarize" {
		return summarize(os.Stdout, args[1:])
	}
	fs := flag.NewFlagSet("chatbench", flag.ContinueOnError)
	var p Params
	defineFlags(fs, &p)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: chatbench -scenario NAME [flags]\n       chatbench -summarize REPORT.json...\n\n%s\nFlags:\n", scenarioHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "chatbench: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if err := p.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		return exitUsage
	}
	raiseFileLimit()
	if p.CPUProfile != "" {
		stopProfile, err := startCPUProfile(p.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "chatbench:", err)
			return exitUsage
		}
		defer stopProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := newLogger(p.Verbose)
	machine, started := describeMachine(), time.Now()
	data, runErr := runBenchmark(ctx, p, log)
	rep := buildReport(p, machine, started, data, runErr)
	printTable(os.Stdout, rep)
	if p.JSONFile != "" {
		if err := rep.writeJSON(p.JSONFile); err != nil {
			fmt.Fprintln(os.Stderr, "chatbench:", err)
			return exitFail
		}
	}
	if !rep.Passed {
		return exitFail
	}
	return exitPass
}

// startCPUProfile profiles this process until the returned function runs.
// chatbench shares the machine with the server it measures, so its own CPU
// per frame is CPU the server does not get.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "chatbench: close CPU profile:", err)
		}
	}, nil
}

// raiseFileLimit lifts the soft open-file limit to the hard one: every
// connection is a file, and the hard limit (20,000 in this workplace) is
// the real ceiling of one process. Worker processes inherit it.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil || lim.Cur >= lim.Max {
		return
	}
	lim.Cur = lim.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) // staying at the soft limit only lowers the ceiling
}
