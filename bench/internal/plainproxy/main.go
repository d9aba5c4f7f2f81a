// Command plainproxy is the unsigned peer of `sigv4 proxy` in the bench
// package's process benchmark: a plain httputil.ReverseProxy to one
// upstream, with a connection pool sized for the benchmark's clients, so
// that the CPU time it uses per request is the cost of the hop alone.
//
//	plainproxy -upstream http://127.0.0.1:PORT
//
// It listens on a free loopback port, prints "listening ADDR" on standard
// output and serves until it is killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	upstream := flag.String("upstream", "", "the upstream's URL, such as http://127.0.0.1:9201")
	listen := flag.String("listen", "127.0.0.1:0", "where to listen")
	flag.Parse()
	u, err := url.Parse(*upstream)
	if err != nil || u.Host == "" {
		fmt.Fprintln(os.Stderr, "plainproxy: -upstream must be a URL such as http://127.0.0.1:9201")
		os.Exit(2)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = tr
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plainproxy:", err)
		os.Exit(1)
	}
	fmt.Println("listening", l.Addr().String())
	log.Fatal(http.Serve(l, rp))
}
