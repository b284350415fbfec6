package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// The provider's metrics the benchmark reads.
const (
	metricReconciles     = "controller_runtime_reconcile_total"
	metricHeapAlloc      = "go_memstats_heap_alloc_bytes"
	metricOryRequests    = "provider_ory_requests_total"
	metricViewLookups    = "provider_ory_view_lookups_total"
	metricRateLimitWaits = "provider_ory_ratelimit_waits_total"
	metricQueueDepth     = "workqueue_depth"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is one scrape of the provider's metrics endpoint.
type metrics []sample

// sum adds the samples of a metric whose labels pass keep (nil: all).
func (m metrics) sum(name string, keep func(labels map[string]string) bool) float64 {
	total := 0.0
	for _, s := range m {
		if s.name == name && (keep == nil || keep(s.labels)) {
			total += s.value
		}
	}
	return total
}

// reconciles is the number of reconciles of the managed controllers (the
// ProjectAPIKey, WorkspaceAPIKey and Project controllers of both scopes),
// whatever their result.
func (m metrics) reconciles() float64 {
	return m.sum(metricReconciles, func(l map[string]string) bool { return keyController(l["controller"]) })
}

// queued is the requests waiting in the managed controllers' work queues (not
// those waiting for a delay to pass).
func (m metrics) queued() float64 {
	return m.sum(metricQueueDepth, func(l map[string]string) bool { return keyController(l["name"]) || keyController(l["controller"]) })
}

// keyController reports whether a controller name is a managed kind's the
// benchmark creates: the key kinds' and the Project's.
func keyController(name string) bool {
	for _, kind := range []string{"projectapikey", "workspaceapikey", "project"} {
		if strings.HasPrefix(name, "managed/"+kind+".") {
			return true
		}
	}
	return false
}

// reconcileResults is reconciles() by result (success, error, requeue,
// requeue_after).
func (m metrics) reconcileResults() map[string]float64 {
	out := map[string]float64{}
	for _, s := range m {
		if s.name == metricReconciles && keyController(s.labels["controller"]) {
			out[s.labels["result"]] += s.value
		}
	}
	return out
}

// lookups is the number of FindKey calls the shared view answered (hits) or
// listed for (misses): one per Observe of a key.
func (m metrics) lookups(result string) float64 {
	return m.sum(metricViewLookups, func(l map[string]string) bool { return result == "" || l["result"] == result })
}

// clientWaits is the number of requests the provider's own rate limiter
// (the ProviderConfig's spec.rateLimit) held back.
func (m metrics) clientWaits() float64 {
	return m.sum(metricRateLimitWaits, func(l map[string]string) bool { return l["source"] == "client" })
}

// parseMetrics reads the Prometheus text exposition format: it keeps the
// name, labels and value of every sample line and ignores comments,
// timestamps and exemplars.
func parseMetrics(r io.Reader) (metrics, error) {
	var out metrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := ""
		if i := strings.IndexAny(line, "{ "); i < 0 {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		} else if line[i] == '{' {
			s.name = line[:i]
			var err error
			if rest, err = parseLabels(line[i+1:], s.labels); err != nil {
				return nil, fmt.Errorf("metrics: %w in %q", err, line)
			}
		} else {
			s.name, rest = line[:i], line[i:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: bad value in %q: %w", line, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out, sc.Err()
}

// parseLabels reads `a="x",b="y"}` into labels and returns what follows the
// closing brace.
func parseLabels(s string, labels map[string]string) (string, error) {
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 || len(s) < eq+2 || s[eq+1] != '"' {
			return "", fmt.Errorf("bad label")
		}
		name := strings.TrimSpace(s[:eq])
		var b strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				default:
					b.WriteByte(s[i])
				}
				continue
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return "", fmt.Errorf("unterminated label value")
		}
		labels[name] = b.String()
		s = s[i+1:]
	}
}

// scrape reads the metrics endpoint once.
func scrape(ctx context.Context, url string) (metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// sampler scrapes the metrics endpoint every interval, keeping the largest
// heap seen and the latest scrape, and samples the load average. With a
// profile URL it also keeps the heap profile taken nearest the largest heap:
// whenever the heap grew a tenth past the last profile's, at most every
// profileEvery, it writes the provider's heap profile to profilePath.
type sampler struct {
	url string

	profileURL, profilePath string
	profiledHeap            float64
	profiledAt              time.Time

	mu      sync.Mutex
	last    metrics
	maxHeap float64
	loads   []float64
	errs    int

	stop chan struct{}
	done chan struct{}
}

// profileEvery is the least time between two heap profiles of a phase.
const profileEvery = 10 * time.Second

func startSampler(ctx context.Context, url, profileURL, profilePath string, every time.Duration) *sampler {
	s := &sampler{url: url, profileURL: profileURL, profilePath: profilePath, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.once(ctx)
			select {
			case <-ctx.Done():
				return
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) once(ctx context.Context) {
	m, err := scrape(ctx, s.url)
	load, lerr := loadAverage()
	s.mu.Lock()
	defer s.mu.Unlock()
	if lerr == nil {
		s.loads = append(s.loads, load[0])
	}
	if err != nil {
		s.errs++
		return
	}
	s.last = m
	h := m.sum(metricHeapAlloc, nil)
	s.maxHeap = max(s.maxHeap, h)
	if s.profileURL != "" && h > s.profiledHeap*1.1 && time.Since(s.profiledAt) >= profileEvery {
		// Sampled allocations as of the last GC: cheap for the provider.
		if err := fetchTo(ctx, s.profileURL, s.profilePath); err == nil {
			s.profiledHeap, s.profiledAt = h, time.Now()
		}
	}
}

// fetchTo writes what a GET of url returns to path.
func fetchTo(ctx context.Context, url, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ProfiledHeap is the heap when the kept profile was taken; 0 when none.
func (s *sampler) ProfiledHeap() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.profiledHeap
}

// Stop ends the sampling, after one last scrape.
func (s *sampler) Stop(ctx context.Context) {
	close(s.stop)
	<-s.done
	s.once(ctx)
}

func (s *sampler) MaxHeap() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxHeap
}

// Load returns the mean and the largest one-minute load average sampled.
func (s *sampler) Load() (mean, peak float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.loads {
		mean += l
		peak = max(peak, l)
	}
	if len(s.loads) > 0 {
		mean /= float64(len(s.loads))
	}
	return mean, peak
}

// apiRequests is what the API server counted in apiserver_request_total,
// by "verb resource[/subresource]", with " (dry run)" for dry runs and the
// status code when it is not 2xx.
type apiRequests map[string]float64

// apiServerRequests reads the API server's request counters with the admin
// credentials of cfg.
func apiServerRequests(ctx context.Context, cfg *rest.Config) (apiRequests, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.Host, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", cfg.Host, resp.Status)
	}
	m, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, err
	}
	out := apiRequests{}
	for _, s := range m {
		if s.name != "apiserver_request_total" {
			continue
		}
		k := strings.ToLower(s.labels["verb"]) + " " + s.labels["resource"]
		if sub := s.labels["subresource"]; sub != "" {
			k += "/" + sub
		}
		if s.labels["dry_run"] != "" {
			k += " (dry run)"
		}
		if code := s.labels["code"]; code != "" && !strings.HasPrefix(code, "2") {
			k += " " + code // a conflict (409), a create of what exists, a read of what does not (404)
		}
		out[k] += s.value
	}
	return out, nil
}

// since returns the requests counted between an earlier reading and r.
func (r apiRequests) since(earlier apiRequests) apiRequests {
	out := apiRequests{}
	for k, v := range r {
		if d := v - earlier[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func (r apiRequests) total() float64 {
	t := 0.0
	for _, v := range r {
		t += v
	}
	return t
}

// top formats the most frequent requests, each divided by per (the keys,
// or the Observes), e.g. "update projectapikeys/status 2.0".
func (r apiRequests) top(n int, per float64) string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r[keys[i]] != r[keys[j]] {
			return r[keys[i]] > r[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for i, k := range keys {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", k, r[k]/per))
	}
	return strings.Join(parts, ", ")
}
