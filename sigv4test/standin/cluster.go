package standin

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
)

const (
	clusterName = "sigv4-standin"
	nodeName    = "standin"
	version     = "2.11.0"
	buildHash   = "standin0000000000000000000000000000000000"
)

var nodeRoles = []string{"cluster_manager", "data", "ingest", "remote_cluster_client"}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"name": nodeName, "cluster_name": clusterName, "cluster_uuid": s.nodeID,
		"version": map[string]any{
			"distribution": "opensearch", "number": version, "build_type": "tar", "build_hash": buildHash,
			"build_date": "2023-10-13T02:55:55.511945994Z", "build_snapshot": false, "lucene_version": "9.7.0",
			"minimum_wire_compatibility_version": "7.10.0", "minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "The OpenSearch Project: https://opensearch.org/ (local stand-in)",
	})
}

// health is an index's health on the stand-in's one node: its replicas
// can never be assigned, so an index with replicas is yellow, as on a
// single-node OpenSearch.
func (ix *index) health() string {
	if ix.replicas > 0 {
		return "yellow"
	}
	return "green"
}

func (s *Server) clusterHealth(w http.ResponseWriter, r *http.Request, rest []string) *apiError {
	q := r.URL.Query()
	if l := q.Get("level"); l != "" && l != "cluster" {
		return unsupported("[level=" + l + "] in cluster health")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target := ""
	if len(rest) == 1 {
		target = rest[0]
	}
	ixs, err := s.resolve(target, false)
	if err != nil {
		return err
	}
	status, primaries, unassigned := "green", 0, 0
	for _, ix := range ixs {
		primaries += ix.shards
		unassigned += ix.shards * ix.replicas
		if ix.health() == "yellow" {
			status = "yellow"
		}
	}
	pct := 100.0
	if primaries+unassigned > 0 {
		pct = 100 * float64(primaries) / float64(primaries+unassigned)
	}
	code, timedOut := 200, false
	rank := map[string]int{"green": 0, "yellow": 1, "red": 2}
	if want := q.Get("wait_for_status"); want != "" {
		if _, ok := rank[want]; !ok {
			return badRequest("unknown cluster health status [" + want + "]")
		}
		if rank[status] > rank[want] {
			// OpenSearch waits for the timeout first; nothing here can
			// change the health, so the stand-in answers at once.
			code, timedOut = 408, true
		}
	}
	writeJSON(w, code, map[string]any{
		"cluster_name": clusterName, "status": status, "timed_out": timedOut,
		"number_of_nodes": 1, "number_of_data_nodes": 1, "discovered_master": true, "discovered_cluster_manager": true,
		"active_primary_shards": primaries, "active_shards": primaries, "relocating_shards": 0,
		"initializing_shards": 0, "unassigned_shards": unassigned, "delayed_unassigned_shards": 0,
		"number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
		"active_shards_percent_as_number": pct,
	})
	return nil
}

func (ix *index) storeBytes() int {
	n := 208 // an empty shard's few files
	for _, d := range ix.docs {
		n += len(d.source)
	}
	return n
}

func humanBytes(n int, unit string) string {
	switch unit {
	case "b":
		return strconv.Itoa(n)
	case "kb":
		return strconv.Itoa(n / 1024)
	case "mb":
		return strconv.Itoa(n / (1 << 20))
	}
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "mb"
	case n >= 1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + "kb"
	}
	return strconv.Itoa(n) + "b"
}

// catIndices answers _cat/indices as a table (with a header line for v) or,
// with format=json, a list of objects whose values are all strings.
func (s *Server) catIndices(w http.ResponseWriter, r *http.Request, rest []string) *apiError {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "text" && format != "txt" {
		return unsupported("[format=" + format + "] in _cat (text and json only)")
	}
	if b := q.Get("bytes"); b != "" && b != "b" && b != "kb" && b != "mb" {
		return unsupported("[bytes=" + b + "] in _cat (b, kb and mb only)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target := ""
	if len(rest) == 1 {
		target = rest[0]
	}
	ixs, err := s.resolve(target, false)
	if err != nil {
		return err
	}
	cols := []string{"health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted", "store.size", "pri.store.size"}
	numeric := map[string]bool{"pri": true, "rep": true, "docs.count": true, "docs.deleted": true, "store.size": true, "pri.store.size": true}
	var rows [][]string
	for _, ix := range ixs {
		size := ix.storeBytes()
		rows = append(rows, []string{ix.health(), "open", ix.name, ix.uuid, strconv.Itoa(ix.shards), strconv.Itoa(ix.replicas),
			strconv.Itoa(len(ix.docs)), "0", humanBytes(size, q.Get("bytes")), humanBytes(size, q.Get("bytes"))})
	}
	if format == "json" {
		list := make([]any, 0, len(rows))
		for _, row := range rows {
			o := map[string]string{}
			for i, c := range cols {
				o[c] = row[i]
			}
			list = append(list, o)
		}
		writeJSON(w, 200, list)
		return nil
	}
	widths := make([]int, len(cols))
	_, verbose := q["v"]
	for i, c := range cols {
		if verbose {
			widths[i] = len(c)
		}
		for _, row := range rows {
			widths[i] = max(widths[i], len(row[i]))
		}
	}
	var b strings.Builder
	line := func(cells []string, header bool) {
		for i, cell := range cells {
			if i > 0 {
				b.WriteByte(' ')
			}
			if numeric[cols[i]] && !header {
				fmt.Fprintf(&b, "%*s", widths[i], cell)
			} else {
				fmt.Fprintf(&b, "%-*s", widths[i], cell)
			}
		}
		b.WriteByte('\n')
	}
	if verbose {
		line(cols, true)
	}
	for _, row := range rows {
		line(row, false)
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(200)
	w.Write([]byte(b.String()))
	return nil
}

var (
	infoMetrics  = map[string]bool{"settings": true, "os": true, "process": true, "jvm": true, "thread_pool": true, "transport": true, "http": true, "plugins": true, "modules": true, "ingest": true, "aggregations": true, "indices": true, "search_pipelines": true, "_all": true}
	infoDone     = map[string]bool{"os": true, "process": true, "jvm": true, "thread_pool": true, "transport": true, "http": true}
	statsMetrics = map[string]bool{"indices": true, "os": true, "process": true, "jvm": true, "thread_pool": true, "fs": true, "transport": true, "http": true, "breaker": true, "script": true, "discovery": true, "ingest": true, "adaptive_selection": true, "script_cache": true, "indexing_pressure": true, "shard_indexing_pressure": true, "search_backpressure": true, "cluster_manager_throttling": true, "weight_routing": true, "file_cache": true, "task_cancellation": true, "search_pipeline": true, "segment_replication_backpressure": true, "repositories": true, "admission_control": true, "caches": true, "remote_store": true, "_all": true}
	statsDone    = map[string]bool{"os": true, "process": true, "jvm": true, "thread_pool": true, "fs": true, "breaker": true}
)

func isMetricList(seg string, known map[string]bool) bool {
	for _, m := range strings.Split(seg, ",") {
		if !known[m] {
			return false
		}
	}
	return true
}

// nodes answers the nodes info and nodes stats APIs:
// /_nodes[/NODES][/METRICS] and /_nodes[/NODES]/stats[/METRICS].
func (s *Server) nodes(w http.ResponseWriter, r *http.Request, rest []string) *apiError {
	nodeSel, metrics, stats := "_all", "", false
	for i, seg := range rest {
		switch {
		case seg == "stats" && !stats:
			stats = true
		case i == 0 && !stats && isMetricList(seg, infoMetrics) && len(rest) == 1:
			metrics = seg
		case i == 0 && !stats:
			nodeSel = seg
		case metrics == "":
			metrics = seg
		default:
			noHandler(w, r)
			return nil
		}
	}
	known, done := infoMetrics, infoDone
	if stats {
		known, done = statsMetrics, statsDone
	}
	want := map[string]bool{}
	if metrics == "" || metrics == "_all" {
		want = done
	} else {
		for _, m := range strings.Split(metrics, ",") {
			switch {
			case !known[m]:
				return badRequest("request [" + r.URL.Path + "] contains unrecognized metric: [" + m + "]")
			case !done[m]:
				return unsupported("the [" + m + "] metric of the nodes API")
			}
			want[m] = true
		}
	}
	nodes := map[string]any{}
	if s.selects(nodeSel) {
		if stats {
			nodes[s.nodeID] = s.nodeStats(r, want)
		} else {
			nodes[s.nodeID] = s.nodeInfo(r, want)
		}
	}
	writeJSON(w, 200, map[string]any{"_nodes": map[string]int{"total": len(nodes), "successful": len(nodes), "failed": 0},
		"cluster_name": clusterName, "nodes": nodes})
	return nil
}

// selects tells whether a node selection names the stand-in's one node.
func (s *Server) selects(sel string) bool {
	for _, n := range strings.Split(sel, ",") {
		switch n {
		case "_all", "_local", "_master", "_cluster_manager", "*", "data:true", "ingest:true", "master:true", "cluster_manager:true", s.nodeID, nodeName:
			return true
		}
	}
	return false
}

// publishAddress is the address the request reached the stand-in at, so
// that a sniffer which dials the published address comes back here.
func publishAddress(r *http.Request) (host, addr string) {
	h, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		h, port = r.Host, "80"
		if r.TLS != nil {
			port = "443"
		}
	}
	return h, net.JoinHostPort(h, port)
}

func (s *Server) nodeBase(r *http.Request) map[string]any {
	host, _ := publishAddress(r)
	return map[string]any{"name": nodeName, "transport_address": net.JoinHostPort(host, "9300"), "host": host, "ip": host,
		"roles": nodeRoles, "attributes": map[string]string{"shard_indexing_pressure_enabled": "true"}}
}

var threadPools = []struct {
	name, typ string
	queue     int
}{{"search", "resizable", 1000}, {"write", "fixed", 10000}, {"get", "fixed", 1000}, {"management", "scaling", -1}, {"refresh", "scaling", -1}}

func (s *Server) nodeInfo(r *http.Request, want map[string]bool) map[string]any {
	n := s.nodeBase(r)
	n["version"], n["build_type"], n["build_hash"] = version, "tar", buildHash
	host, addr := publishAddress(r)
	cpus := runtime.NumCPU()
	if want["http"] {
		n["http"] = map[string]any{"bound_address": []string{addr}, "publish_address": addr, "max_content_length_in_bytes": 104857600}
	}
	if want["transport"] {
		t := net.JoinHostPort(host, "9300")
		n["transport"] = map[string]any{"bound_address": []string{t}, "publish_address": t, "profiles": map[string]any{}}
	}
	if want["os"] {
		n["os"] = map[string]any{"refresh_interval_in_millis": 1000, "name": "Linux", "pretty_name": "Linux", "arch": runtime.GOARCH,
			"available_processors": cpus, "allocated_processors": cpus}
	}
	if want["process"] {
		n["process"] = map[string]any{"refresh_interval_in_millis": 1000, "id": 1, "mlockall": false}
	}
	if want["jvm"] {
		n["jvm"] = map[string]any{"pid": 1, "version": "17.0.8", "vm_name": "OpenJDK 64-Bit Server VM", "start_time_in_millis": s.started.UnixMilli(),
			"mem": map[string]any{"heap_init_in_bytes": 536870912, "heap_max_in_bytes": 536870912, "non_heap_max_in_bytes": 0, "direct_max_in_bytes": 0}}
	}
	if want["thread_pool"] {
		tp := map[string]any{}
		for _, p := range threadPools {
			e := map[string]any{"type": p.typ, "queue_size": p.queue}
			if p.typ == "scaling" {
				e["core"], e["max"], e["keep_alive"] = 1, cpus, "5m"
			} else {
				e["size"] = cpus
			}
			tp[p.name] = e
		}
		n["thread_pool"] = tp
	}
	return n
}

func (s *Server) nodeStats(r *http.Request, want map[string]bool) map[string]any {
	n := s.nodeBase(r)
	now := s.now()
	n["timestamp"] = now.UnixMilli()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const heapMax = 536870912
	used := min(int64(ms.HeapAlloc), heapMax)
	if want["jvm"] {
		n["jvm"] = map[string]any{"timestamp": now.UnixMilli(), "uptime_in_millis": now.Sub(s.started).Milliseconds(),
			"mem": map[string]any{"heap_used_in_bytes": used, "heap_used_percent": used * 100 / heapMax, "heap_committed_in_bytes": heapMax, "heap_max_in_bytes": heapMax,
				"non_heap_used_in_bytes": 0, "non_heap_committed_in_bytes": 0}}
	}
	if want["breaker"] {
		br := map[string]any{}
		for name, limit := range map[string]int64{"parent": heapMax * 95 / 100, "fielddata": heapMax * 40 / 100, "request": heapMax * 60 / 100, "in_flight_requests": heapMax, "accounting": heapMax} {
			br[name] = map[string]any{"limit_size_in_bytes": limit, "limit_size": humanBytes(int(limit), ""), "estimated_size_in_bytes": 0, "estimated_size": "0b", "overhead": 1.0, "tripped": 0}
		}
		n["breakers"] = br
	}
	if want["thread_pool"] {
		tp := map[string]any{}
		for _, p := range threadPools {
			tp[p.name] = map[string]any{"threads": runtime.NumCPU(), "queue": 0, "active": 0, "rejected": 0, "largest": runtime.NumCPU(), "completed": 0}
		}
		n["thread_pool"] = tp
	}
	if want["os"] {
		n["os"] = map[string]any{"timestamp": now.UnixMilli(), "cpu": map[string]any{"percent": 0}, "mem": map[string]any{"total_in_bytes": heapMax * 4, "free_in_bytes": heapMax * 2, "used_in_bytes": heapMax * 2, "free_percent": 50, "used_percent": 50}}
	}
	if want["process"] {
		n["process"] = map[string]any{"timestamp": now.UnixMilli(), "open_file_descriptors": 0, "max_file_descriptors": 65536, "cpu": map[string]any{"percent": 0, "total_in_millis": 0}}
	}
	if want["fs"] {
		n["fs"] = map[string]any{"timestamp": now.UnixMilli(), "total": map[string]any{"total_in_bytes": 1 << 34, "free_in_bytes": 1 << 33, "available_in_bytes": 1 << 33}}
	}
	return n
}
