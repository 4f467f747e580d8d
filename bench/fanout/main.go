// Command fanout measures relaydesk's live fan-out: how long a chat message
// takes to reach the widget socket of its request while many widget sockets
// (and a few console sockets) are open in one relaydesk process, and how
// much memory that process holds.
//
// It runs the real HTTP server, widget and console mounted as
// cmd/relaydesk mounts them, in this process, on a fresh SQLite file or a
// fresh PostgreSQL schema. It opens one request per widget socket through
// the engine and signs the console technicians in, then starts the client
// as a second process (this program again, with -client), so that the
// resident set read from /proc/self/status is the server's alone. The
// client opens the sockets, then posts messages as the customers over
// POST /api/widget/messages at the given rate, each to a request in turn,
// and times every one from the start of its POST to its frame on the
// request's socket, and to its frame on each console that follows the
// request's company.
//
//	go run ./bench/fanout -db sqlite -sockets 10000 -rate 50 -duration 30s
//	go run ./bench/fanout -db postgres -sockets 10000 -rate 50 -duration 30s
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// options are the benchmark's settings.
type options struct {
	db        string
	pgURL     string
	sockets   int
	consoles  int
	companies int
	followed  int // companies the console technicians serve
	rate      float64
	duration  time.Duration
	// settle is how long the sockets are left idle before the server's
	// memory is measured.
	settle time.Duration
	// memProfile, if set, is where a heap profile of the server with every
	// socket open goes.
	memProfile string
	// cpuProfile, if set, is where a CPU profile of the server under load
	// goes.
	cpuProfile string
}

// report is one run's figures.
type report struct {
	options
	SeedSeconds float64 `json:"seed_seconds"`
	FileLimit   uint64  `json:"file_limit"`
	// Resident set of the server process: before any socket, with every
	// socket open and idle, the most seen under load, and the peak.
	RSSBefore int64 `json:"rss_before"`
	RSSIdle   int64 `json:"rss_idle"`
	// RSSFloor is the idle resident set once a collection has run and the
	// runtime has returned what it freed: what the sockets hold, without
	// the garbage of opening them.
	RSSFloor int64 `json:"rss_floor"`
	RSSLoad  int64 `json:"rss_load"`
	RSSPeak  int64 `json:"rss_peak"`
	// What the Go runtime holds with every socket open, after a
	// collection: live heap, and goroutine stacks.
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	Goroutines int    `json:"goroutines"`
	// The server's CPU time from the first message to the client's
	// result, and the wall time that took.
	CPUSeconds  float64 `json:"cpu_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	Client      result  `json:"client"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var o options
	client := flag.String("client", "", "run as the client, with this plan file (used by the benchmark itself)")
	flag.StringVar(&o.db, "db", "sqlite", "database: sqlite or postgres")
	flag.StringVar(&o.pgURL, "pg", pgDefault(), "PostgreSQL server for -db postgres (a schema of its own is made and dropped)")
	flag.IntVar(&o.sockets, "sockets", 2000, "widget sockets, one per request")
	flag.IntVar(&o.consoles, "consoles", 50, "console sockets, one per technician")
	flag.IntVar(&o.companies, "companies", 10, "companies the requests are spread over")
	flag.IntVar(&o.followed, "followed", 5, "companies each console technician serves (the first ones)")
	flag.Float64Var(&o.rate, "rate", 20, "messages a second, spread over the widget sockets")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long messages are posted")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "how long the open sockets are left idle before the server's memory is measured")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	flag.StringVar(&o.memProfile, "memprofile", "", "write a heap profile of the server with every socket open to this file")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the server under load to this file")
	flag.Parse()
	if *client != "" {
		if err := runClient(ctx, *client, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "fanout client:", err)
			os.Exit(1)
		}
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
	rep, err := run(ctx, o, func(planPath string) *exec.Cmd { return exec.Command(self, "-client", planPath) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(rep)
		return
	}
	rep.print(os.Stdout)
}

func pgDefault() string {
	if u := os.Getenv("RELAYDESK_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://127.0.0.1:5432/test?sslmode=disable"
}

// run serves a seeded desk, starts the client that child returns, and
// measures.
func run(ctx context.Context, o options, child func(planPath string) *exec.Cmd) (*report, error) {
	o.followed = min(o.followed, o.companies)
	if o.memProfile != "" {
		runtime.MemProfileRate = 1 // every allocation: the profile is for accounting
	}
	rep := &report{options: o}
	var err error
	if rep.FileLimit, err = raiseFileLimit(); err != nil {
		return nil, err
	}
	if need := uint64(o.sockets + o.consoles + 512); rep.FileLimit < need {
		fmt.Fprintf(os.Stderr, "fanout: the open-file limit is %d, below the %d this run needs; raise the hard limit (ulimit -Hn)\n",
			rep.FileLimit, need)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := openDatabase(ctx, o.db, o.pgURL, log)
	if err != nil {
		return nil, err
	}
	defer db.close()
	eng := newEngine(db.store, db.dir, log)

	start := time.Now()
	seeded, err := seedDesk(ctx, eng, o)
	if err != nil {
		return nil, err
	}
	cookies, err := signIn(ctx, db.store, seeded.techs)
	if err != nil {
		return nil, err
	}
	rep.SeedSeconds = time.Since(start).Seconds()

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		if err := db.store.Run(ctx); err != nil {
			log.Error("event listener", "err", err)
		}
	})
	wg.Go(func() {
		if err := serve(ctx, db.store, eng, ln, log); err != nil && ctx.Err() == nil {
			log.Error("http server", "err", err)
		}
	})
	select {
	case <-db.store.Listening():
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	p := plan{URL: "http://" + ln.Addr().String(), Consoles: cookies, Rate: o.rate, Duration: o.duration}
	for _, op := range seeded.opened {
		p.Widgets = append(p.Widgets, widgetPlan{Token: op.Token, Company: op.Request.CompanyID, Last: op.Request.Version})
	}
	for _, c := range seeded.companies[:o.followed] {
		p.Followed = append(p.Followed, c.ID)
	}
	planPath := filepath.Join(db.dir, "plan.json")
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(planPath, b, 0o600); err != nil {
		return nil, fmt.Errorf("write plan: %w", err)
	}
	seeded, p = nil, plan{} // the server keeps no more than it would in production

	runtime.GC()
	debug.FreeOSMemory()
	rep.RSSBefore = rss().rss

	cmd := child(planPath)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the client: %w", err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := bufio.NewReader(stdout)

	fmt.Fprintf(os.Stderr, "fanout: %s, seeded %d requests in %.1fs; connecting %d widget and %d console sockets\n",
		o.db, o.sockets, rep.SeedSeconds, o.sockets, o.consoles)
	line, err := lines.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "connected ") {
		return nil, fmt.Errorf("the client did not connect: %q %v", line, err)
	}
	// Let the sockets settle into their idle state before measuring it.
	time.Sleep(o.settle)
	rep.RSSIdle = rss().rss
	debug.FreeOSMemory()
	rep.RSSFloor = rss().rss
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapAlloc, rep.StackInuse, rep.Goroutines = ms.HeapAlloc, ms.StackInuse, runtime.NumGoroutine()
	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			return nil, err
		}
	}

	fmt.Fprintf(os.Stderr, "fanout: %sconnected; posting %.0f messages a second for %s\n", line[len("connected "):len(line)-1]+" sockets ", o.rate, o.duration)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0, wall0 := cpuTime(), time.Now()
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return nil, fmt.Errorf("start the load: %w", err)
	}
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				rep.RSSLoad = max(rep.RSSLoad, rss().rss)
			}
		}
	}()
	line, err = lines.ReadString('\n')
	rep.CPUSeconds, rep.WallSeconds = (cpuTime() - cpu0).Seconds(), time.Since(wall0).Seconds()
	cancel()
	<-sampled
	rep.RSSPeak = rss().hwm
	if err != nil || !strings.HasPrefix(line, "result ") {
		return nil, fmt.Errorf("the client gave no result: %q %v", line, err)
	}
	if err := json.Unmarshal([]byte(line[len("result "):]), &rep.Client); err != nil {
		return nil, fmt.Errorf("decode the client's result: %w", err)
	}
	return rep, nil
}

func (r *report) print(w io.Writer) {
	c := r.Client
	fmt.Fprintf(w, "fan-out on %s: %d widget sockets, %d consoles following %d of %d companies, %.0f msgs/s for %s\n",
		r.db, r.sockets, r.consoles, r.followed, r.companies, r.rate, r.duration)
	fmt.Fprintf(w, "  open-file limit %d; seeding %.1fs; connecting %.1fs\n", r.FileLimit, r.SeedSeconds, c.ConnectSeconds)
	fmt.Fprintf(w, "  messages: %d posted, %d refused (%s), %d reached their socket; console frames %d of %d\n",
		c.Sent, c.PostErrors, c.FirstPostError, c.Received, c.ConsoleReceived, c.ConsoleExpected)
	fmt.Fprintf(w, "  POST                %s\n", c.Post)
	fmt.Fprintf(w, "  message -> socket   %s\n", c.Socket)
	fmt.Fprintf(w, "  message -> console  %s\n", c.Console)
	per := func(b int64) string {
		if r.sockets+r.consoles == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f KiB a socket", float64(b-r.RSSBefore)/float64(r.sockets+r.consoles)/1024)
	}
	fmt.Fprintf(w, "  server RSS: before sockets %s; idle with sockets %s (%s), after a GC %s (%s)\n",
		mb(r.RSSBefore), mb(r.RSSIdle), per(r.RSSIdle), mb(r.RSSFloor), per(r.RSSFloor))
	fmt.Fprintf(w, "  server RSS under load: %s at most (%s); peak of the run (VmHWM) %s\n",
		mb(r.RSSLoad), per(r.RSSLoad), mb(r.RSSPeak))
	fmt.Fprintf(w, "  server with sockets, after a GC: live heap %s, stacks %s, %d goroutines; CPU under load %.1fs (%.0f%%)\n",
		mb(int64(r.HeapAlloc)), mb(int64(r.StackInuse)), r.Goroutines, r.CPUSeconds, 100*r.CPUSeconds/r.WallSeconds)
	fmt.Fprintf(w, "  client RSS %.0f MB (a process of its own)\n", c.ClientRSSMB)
}

// writeHeapProfile writes the live heap, after a collection, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}
