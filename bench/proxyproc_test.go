package bench_test

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// BenchmarkProxyProcess: the `sigv4 proxy` command and an unsigned
// httputil.ReverseProxy (bench/internal/plainproxy), each built and run as
// a process of its own, in front of the same loopback upstream (in this
// process), fed by the same client. Each sub-benchmark sends b.N requests
// through each of the two, in alternating rounds, and reports for each
// process what the operating system counted: its CPU time per request
// (user + system, /proc/PID/stat), requests per second, and its peak
// resident set (VmHWM, reset before the run). cpu-ratio is the signing
// proxy's CPU per request over the unsigned one's, measured in the same
// run. ns/op is the wall time of one request through each.
//
// Cases: get1KiB is a GET with no body answered with 1 KiB (a search);
// post1KiB, post1MiB and post32MiB are POST /_bulk with a body of that
// size answered with a few bytes; c1 and c16 are the clients sending at
// once. Run it with a -benchtime in seconds, so that every case runs long
// enough for the CPU time the OS counts in 10 ms ticks:
//
//	go test -run '^$' -bench ProxyProcess -benchtime 5s -count 3 ./bench
//
// Linux only (it reads /proc). It builds both programs with the go command
// that runs it, offline (GOPROXY=off): the module cache holds what they
// need once `go test` has built this package.
func BenchmarkProxyProcess(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("BenchmarkProxyProcess reads /proc: Linux only")
	}
	bin := buildProgs(b)

	var answered atomic.Int64
	upstream := httptest.NewServer(benchUpstream(&answered))
	defer upstream.Close()

	plain := startPlain(b, bin.plain, upstream.URL)
	signing := startSigning(b, bin.sigv4, upstream.URL)
	procs := []*childProc{plain, signing}

	cases := []struct {
		name    string
		method  string
		body    []byte
		clients []int
	}{
		{"get1KiB", http.MethodGet, nil, []int{1, 16}},
		{"post1KiB", http.MethodPost, bulkBody[:1<<10], []int{1, 16}},
		{"post1MiB", http.MethodPost, bulkBody[:1<<20], []int{1, 16}},
		// Past the spool's 16 MiB in memory: the rest waits in a file,
		// and the peak RSS stays where it is for any larger body.
		{"post32MiB", http.MethodPost, bytes.Repeat(bulkBody, 2), []int{1}},
	}
	for _, c := range cases {
		for _, clients := range c.clients {
			b.Run(fmt.Sprintf("%s/c%d", c.name, clients), func(b *testing.B) {
				for _, p := range procs {
					if err := p.run(c.method, c.body, 2*clients, clients); err != nil {
						b.Fatal(err) // warms the connections
					}
				}
				// Rounds alternate the order, so that neither process has
				// all of the warmer or the busier half of the machine.
				const rounds = 4
				var cpu [2]time.Duration
				var wall [2]time.Duration
				var sent [2]int
				for _, p := range procs {
					p.resetPeak(b)
				}
				b.SetBytes(int64(len(c.body)))
				b.ReportAllocs()
				b.ResetTimer()
				for round := 0; round < rounds; round++ {
					n := b.N / rounds
					if round < b.N%rounds {
						n++
					}
					for k := range procs {
						i := (k + round) % 2
						p := procs[i]
						before := p.cpu(b)
						start := time.Now()
						if err := p.run(c.method, c.body, n, clients); err != nil {
							b.Fatal(err)
						}
						wall[i] += time.Since(start)
						cpu[i] += p.cpu(b) - before
						sent[i] += n
					}
				}
				b.StopTimer()
				for i, name := range []string{"plain", "proxy"} {
					if sent[i] == 0 {
						continue
					}
					b.ReportMetric(float64(cpu[i].Microseconds())/float64(sent[i]), name+"-cpu-us/req")
					b.ReportMetric(float64(sent[i])/wall[i].Seconds(), name+"-req/s")
					b.ReportMetric(procs[i].peakMiB(b), name+"-peak-RSS-MiB")
				}
				if sent[0] > 0 && cpu[0] > 0 {
					b.ReportMetric(float64(cpu[1])/float64(sent[1])/(float64(cpu[0])/float64(sent[0])), "cpu-ratio")
				}
			})
		}
	}
	if bytes.Contains(signing.logs(), []byte(creds.SecretAccessKey)) || bytes.Contains(signing.logs(), []byte(creds.SessionToken)) {
		b.Error("the proxy's log shows a secret")
	}
	if answered.Load() == 0 {
		b.Error("the upstream answered no request")
	}
}

// benchUpstream answers a GET with 1 KiB of JSON (a search) and any
// other request, once its whole body is read, with a few bytes (a _bulk),
// counting what it answered.
func benchUpstream(answered *atomic.Int64) http.Handler {
	search := bytes.Repeat([]byte("x"), 1<<10)
	copy(search, `{"hits":{"total":{"value":1},"hits":[{"_source":{"t":"`)
	copy(search[len(search)-5:], `"}}]}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil || n != r.ContentLength && r.ContentLength >= 0 {
			http.Error(w, "short body", http.StatusBadRequest)
			return
		}
		answered.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			w.Write(search)
			return
		}
		w.Write([]byte(`{"errors":false}`))
	})
}

type progs struct{ sigv4, plain string }

var (
	buildOnce  sync.Once
	builtProgs progs
	buildErr   error
)

// buildProgs builds cmd/sigv4 and bench/internal/plainproxy into a
// temporary directory, once per process, without the network. It skips
// the benchmark when there is no go command to build with.
func buildProgs(b *testing.B) progs {
	// go test puts its own toolchain's go first in PATH.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		b.Skip("BenchmarkProxyProcess builds the sigv4 command and needs the go command, which is not in PATH: " + err.Error())
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sigv4-bench-")
		if err != nil {
			buildErr = err
			return
		}
		builtProgs = progs{sigv4: filepath.Join(dir, "sigv4"), plain: filepath.Join(dir, "plainproxy")}
		cmd := exec.Command(goCmd, "build", "-o", dir, "../cmd/sigv4", "./internal/plainproxy")
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ../cmd/sigv4 ./internal/plainproxy (offline): %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return builtProgs
}

// childProc is a proxy running as a process of its own, and a client that
// sends requests through it.
type childProc struct {
	cmd    *exec.Cmd
	url    string
	client *http.Client
	log    *os.File // its standard error
}

// childEnv is the whole environment of a child: static fake credentials
// and nothing of the runner's (no profile, no instance metadata).
func childEnv(b *testing.B) []string {
	dir := b.TempDir()
	return []string{
		"HOME=" + dir,
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey, "AWS_SESSION_TOKEN=" + creds.SessionToken,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
	}
}

func newChild(b *testing.B, path string, args ...string) *childProc {
	log, err := os.CreateTemp(b.TempDir(), "stderr-")
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = childEnv(b)
	cmd.Stderr = log
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &childProc{cmd: cmd, client: &http.Client{Transport: tr}, log: log}
}

// stop ends the child (SIGTERM, then SIGKILL after 30 s).
func (p *childProc) stop() {
	p.client.CloseIdleConnections()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func (p *childProc) logs() []byte {
	b, _ := os.ReadFile(p.log.Name())
	return b
}

func startPlain(b *testing.B, path, upstream string) *childProc {
	p := newChild(b, path, "-upstream", upstream)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.stop)
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		b.Fatalf("plainproxy did not start: %q %v\n%s", line, err, p.logs())
	}
	p.url = "http://" + addr
	return p
}

func startSigning(b *testing.B, path, upstream string) *childProc {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := newChild(b, path, "proxy", "--listen", addr, "--region", region, "--service", service, upstream)
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.stop)
	p.url = "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := p.client.Get(p.url + "/_sigv4/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("sigv4 proxy did not start:\n%s", p.logs())
		}
	}
	return p
}

// send sends one request through the proxy and checks that it was
// answered 200 with the whole body.
func (p *childProc) send(method string, body []byte) error {
	var rd io.Reader
	path := "/logs/_search"
	if body != nil {
		rd, path = bytes.NewReader(body), "/_bulk"
	}
	req, err := http.NewRequest(method, p.url+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-ndjson")
	}
	res, err := p.client.Do(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || (method == http.MethodGet && n != 1<<10) {
		return fmt.Errorf("%s %s through %s: %s, %d bytes, %v", method, path, filepath.Base(p.cmd.Path), res.Status, n, err)
	}
	return nil
}

// run sends n requests from clients goroutines at once, and returns the
// first failure.
func (p *childProc) run(method string, body []byte, n, clients int) error {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range clients {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := p.send(method, body); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					left.Store(0)
				}
			}
		})
	}
	wg.Wait()
	return first
}

// clockTicks is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which Linux fixes at 100 for every architecture's user space.
const clockTicks = 100

// cpu returns the user and system CPU time the child has used so far.
func (p *childProc) cpu(b *testing.B) time.Duration {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted from the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: too few fields", p.cmd.Process.Pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		b.Fatal(err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// resetPeak resets the child's peak resident set to its current one.
func (p *childProc) resetPeak(b *testing.B) {
	if err := os.WriteFile("/proc/"+strconv.Itoa(p.cmd.Process.Pid)+"/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS of %s: %v", p.cmd.Path, err)
	}
}

// peakMiB returns the child's peak resident set (VmHWM) in MiB.
func (p *childProc) peakMiB(b *testing.B) float64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// BenchmarkProxyInProcess: the signing proxy as the sigv4 command sets it
// up (its own base transport, a text access log), in this process, with
// 16 clients at once: the cases to profile (-cpuprofile) for the proxy's
// cost per request, which BenchmarkProxyProcess measures from outside.
func BenchmarkProxyInProcess(b *testing.B) {
	var answered atomic.Int64
	upstream := httptest.NewServer(benchUpstream(&answered))
	defer upstream.Close()
	logs, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logs.Close()
	p, err := proxy.New(upstream.URL, func(o *proxy.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
		o.Transport = func(o *transport.Options) {
			o.Region, o.Service = region, service
			o.Credentials = credentials.NewStatic(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	c := &childProc{url: srv.URL, client: &http.Client{Transport: tr}}
	for _, m := range []struct {
		name   string
		method string
		body   []byte
	}{{"get1KiB", http.MethodGet, nil}, {"post1KiB", http.MethodPost, bulkBody[:1<<10]}, {"post1MiB", http.MethodPost, bulkBody[:1<<20]}} {
		b.Run(m.name+"/c16", func(b *testing.B) {
			if err := c.run(m.method, m.body, 32, 16); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			stop := reportCPU(b)
			if err := c.run(m.method, m.body, b.N, 16); err != nil {
				b.Fatal(err)
			}
			stop()
		})
	}
}
