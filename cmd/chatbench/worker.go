package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"
)

// Large runs split their clients over worker processes: chatbench
// re-executes itself with -worker, sends the run's parameters and the
// shard's spec as the first line on the worker's stdin, then one line per
// phase; the worker answers each phase with one JSON line on stdout. Its
// stderr (logs) passes through.

// shardHandle drives one shard, in this process or in a worker.
type shardHandle interface {
	do(ctx context.Context, phase string) (shardResult, error)
	stop()
}

// localHandle runs a shard in this process.
type localHandle struct{ s shard }

func (h localHandle) do(ctx context.Context, phase string) (shardResult, error) {
	return runPhase(ctx, h.s, phase)
}

func (h localHandle) stop() {}

func runPhase(ctx context.Context, s shard, phase string) (shardResult, error) {
	switch phase {
	case phasePrepare:
		return shardResult{}, s.prepare(ctx)
	case phaseConnect:
		return shardResult{}, s.connect(ctx)
	case phaseRun:
		return shardResult{}, s.run(ctx)
	case phaseFinish:
		return s.finish(ctx)
	}
	return shardResult{}, fmt.Errorf("unknown phase %q", phase)
}

// workerInit is the first line a worker reads.
type workerInit struct {
	Params     Params    `json:"params"`
	AdminToken string    `json:"adminToken"`
	Spec       shardSpec `json:"spec"`
	RunID      string    `json:"runId"`
	Verbose    bool      `json:"verbose"`
}

type workerCommand struct {
	Phase string `json:"phase"`
}

type workerReply struct {
	Error  string       `json:"error,omitempty"`
	Result *shardResult `json:"result,omitempty"`
}

// remoteHandle runs a shard in a worker process.
type remoteHandle struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan []byte // stdout, one reply per line; closed at EOF
}

func startWorker(init workerInit) (*remoteHandle, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable for a worker: %w", err)
	}
	cmd := exec.Command(exe, "-worker")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("worker stdin: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("worker stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %d: %w", init.Spec.Index, err)
	}
	h := &remoteHandle{cmd: cmd, in: in, lines: make(chan []byte)}
	go func() {
		defer close(h.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			h.lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	if err := h.writeLine(init); err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

func (h *remoteHandle) writeLine(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode worker message: %w", err)
	}
	if _, err := h.in.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write to worker: %w", err)
	}
	return nil
}

func (h *remoteHandle) do(ctx context.Context, phase string) (shardResult, error) {
	if err := h.writeLine(workerCommand{Phase: phase}); err != nil {
		return shardResult{}, err
	}
	select {
	case line, ok := <-h.lines:
		if !ok {
			return shardResult{}, errors.New("worker exited")
		}
		var reply workerReply
		if err := json.Unmarshal(line, &reply); err != nil {
			return shardResult{}, fmt.Errorf("worker reply %.200q: %w", line, err)
		}
		if reply.Error != "" {
			return shardResult{}, errors.New(reply.Error)
		}
		if reply.Result != nil {
			return *reply.Result, nil
		}
		return shardResult{}, nil
	case <-ctx.Done():
		return shardResult{}, fmt.Errorf("worker %s: %w", phase, ctx.Err())
	}
}

// stop closes the worker's stdin (it exits at EOF, closing its
// connections) and kills it if it does not exit in time.
func (h *remoteHandle) stop() {
	h.in.Close()
	exited := make(chan struct{})
	go func() {
		for range h.lines {
		}
		_ = h.cmd.Wait() // its failures were reported through its replies
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = h.cmd.Process.Kill() // it ignored EOF; nothing more to learn from it
		<-exited
	}
}

// runWorker is the main loop of a worker process.
func runWorker(in io.Reader, out io.Writer) int {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		fmt.Fprintln(os.Stderr, "chatbench worker: no init line on stdin")
		return 2
	}
	var init workerInit
	if err := json.Unmarshal(sc.Bytes(), &init); err != nil {
		fmt.Fprintln(os.Stderr, "chatbench worker: bad init line:", err)
		return 2
	}
	init.Params.AdminToken = init.AdminToken
	log := newLogger(init.Verbose).With("shard", init.Spec.Index)
	env, err := newShardEnv(init.Params, init.Spec, init.RunID, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatbench worker:", err)
		return 2
	}
	s := scenarios[init.Params.Scenario].newShard(env)
	ctx := context.Background()
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var cmd workerCommand
		if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
			fmt.Fprintln(os.Stderr, "chatbench worker: bad command:", err)
			return 2
		}
		res, err := runPhase(ctx, s, cmd.Phase)
		reply := workerReply{}
		if err != nil {
			reply.Error = err.Error()
		} else if cmd.Phase == phaseFinish {
			reply.Result = &res
		}
		if err := enc.Encode(reply); err != nil {
			fmt.Fprintln(os.Stderr, "chatbench worker: write reply:", err)
			return 1
		}
		if err != nil || cmd.Phase == phaseFinish {
			break
		}
	}
	return 0
}

func newLogger(verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
