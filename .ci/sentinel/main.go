// Command sentinel listens on the link-local metadata addresses inside
// .ci/run's network namespace and reports every connection made to them:
// no test, and no example run without AWS settings, may reach the instance
// metadata service or a container credentials endpoint. For each
// connection it writes, to -log, the address, the process that made it and
// the chain of its parents; it then sends SIGQUIT to the nearest Go test
// binary among them, whose goroutine dump names the test and the code that
// connected.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

func main() {
	logPath := flag.String("log", "", "file that receives one report per connection")
	ready := flag.String("ready", "", "file created once every address listens")
	flag.Parse()
	var mu sync.Mutex
	report := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sentinel:", err)
			return
		}
		defer f.Close()
		f.WriteString(s)
	}
	for _, addr := range flag.Args() {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sentinel:", err)
			os.Exit(1)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				report(describe(addr, c))
				c.Close()
			}
		}()
	}
	if *ready != "" {
		os.WriteFile(*ready, nil, 0o644)
	}
	select {}
}

// describe names the process at the other end of c, and its parents.
func describe(addr string, c net.Conn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "a connection to %s, from %s\n", addr, c.RemoteAddr())
	pid := ownerOf(c.RemoteAddr().(*net.TCPAddr))
	quit := 0
	for depth := 0; pid > 1 && depth < 8; depth++ {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		args := strings.Fields(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		line := strings.Join(args, " ")
		if len(line) > 200 {
			line = line[:200] + "..."
		}
		fmt.Fprintf(&b, "  pid %d: %s\n", pid, line)
		if quit == 0 && len(args) > 0 && strings.HasSuffix(args[0], ".test") {
			quit = pid
		}
		if len(args) > 0 && filepath.Base(args[0]) == "go" {
			break // the go command that ran it: the rest is CI's own
		}
		pid = parentOf(pid)
	}
	if quit != 0 {
		fmt.Fprintf(&b, "  SIGQUIT sent to pid %d: its goroutine dump, in the go test output above, names the test\n", quit)
		syscall.Kill(quit, syscall.SIGQUIT)
	}
	return b.String()
}

// ownerOf finds the process holding the socket whose local address is
// peer, through /proc/net/tcp and the processes' file descriptors.
func ownerOf(peer *net.TCPAddr) int {
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	ip := peer.IP.To4()
	if ip == nil {
		return 0
	}
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], peer.Port)
	inode := ""
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == want {
			inode = f[9]
			break
		}
	}
	if inode == "" {
		return 0
	}
	target := "socket:[" + inode + "]"
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == target {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			return pid
		}
	}
	return 0
}

// parentOf reads a process's parent from /proc.
func parentOf(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}
