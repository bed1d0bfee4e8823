package record

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
)

// Config tunes a Recorder. Zero fields take the defaults of SetDefaults.
type Config struct {
	Dir        string        // directory of the files; created when missing
	MaxFile    int64         // a file is closed and a new one begun at this size (256 MiB)
	MaxAge     time.Duration // ... or at this age (10 min)
	MaxTotal   int64         // the directory's files are kept under this, oldest deleted first (4 GiB)
	QueueBytes int64         // message bytes waiting at most; beyond, messages are dropped and counted (64 MiB)
	FlushEvery time.Duration // the open chunk is written at least this often, bounding what a crash loses (1 s)
	ChunkSize  int           // uncompressed chunk size (1 MiB)
	Profile    string        // the MCAP header's profile ("")
	// Pump, when set, is called by the writer's goroutine before it takes
	// what was queued (every PollEvery), and once by Close before the
	// queue closes: a producer that hands its data over without encoding
	// it (the node's fusion loop) has it encoded and written here, by the
	// one goroutine that wakes up anyway, not one more. It may call Write
	// and must return promptly; Close may call it while the writer's
	// goroutine does, so it guards its own state.
	Pump func()
}

// SetDefaults fills zero fields.
func (c *Config) SetDefaults() {
	if c.MaxFile == 0 {
		c.MaxFile = 256 << 20
	}
	if c.MaxAge == 0 {
		c.MaxAge = 10 * time.Minute
	}
	if c.MaxTotal == 0 {
		c.MaxTotal = 4 << 30
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = 64 << 20
	}
	if c.FlushEvery == 0 {
		c.FlushEvery = time.Second
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = 1 << 20
	}
}

// Validate reports what is wrong with the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("record: no directory"))
	}
	if c.MaxFile < 1<<20 {
		errs = append(errs, fmt.Errorf("record: max file size %d below 1 MiB", c.MaxFile))
	}
	if c.MaxAge < time.Second {
		errs = append(errs, fmt.Errorf("record: max age %s below 1s", c.MaxAge))
	}
	if c.MaxTotal < c.MaxFile {
		errs = append(errs, fmt.Errorf("record: max total %d below the max file size %d", c.MaxTotal, c.MaxFile))
	}
	if c.QueueBytes < 1<<16 {
		errs = append(errs, fmt.Errorf("record: queue of %d bytes below 64 KiB", c.QueueBytes))
	}
	if c.FlushEvery <= 0 || c.ChunkSize <= 0 {
		errs = append(errs, errors.New("record: flush interval and chunk size must be positive"))
	}
	return errors.Join(errs...)
}

// Topic describes the channel a kind of message goes on.
type Topic struct {
	Name            string // "/v2x/ingest"
	MessageEncoding string // "json", or a private binary encoding
	SchemaName      string
	SchemaEncoding  string // "jsonschema" for JSON; for a binary one, a private name and its documentation as Schema
	Schema          []byte
}

// Channel is a recorder-wide channel id; files renumber them.
type Channel uint32

// Stats are the recorder's counters.
type Stats struct {
	Messages, Bytes uint64 // written to files
	Dropped         uint64 // refused: queue full, or after Close
	Files           uint64 // opened
	Deleted         uint64 // deleted to keep the directory under MaxTotal
	Errors          uint64 // write errors (the file is closed and a new one begun)
	QueuedBytes     int64
}

type channelDef struct {
	topic *Topic
	meta  map[string]string
	open  bool
}

// entry is one queued message, or a control entry (ch < 0 semantics via
// kind).
type entry struct {
	ch               Channel
	seq              uint32
	logTime, pubTime int64
	buf              *[]byte
}

// Recorder writes messages to rotating MCAP files. Write, AddChannel and
// CloseChannel may be called from any goroutine; one goroutine of the
// recorder's own writes.
type Recorder struct {
	cfg Config
	log *slog.Logger
	q   chan entry

	mu       sync.RWMutex
	channels []channelDef // by Channel
	closed   bool
	sticky   []entry // written first in every file (Sticky)

	freeMu  sync.Mutex
	free    []*[]byte // buffers to reuse, last in first out (the few in use stay warm), at most maxFree
	queued  atomic.Int64
	stats   struct{ messages, bytes, dropped, files, deleted, errors atomic.Uint64 }
	done    chan struct{}
	closing chan struct{} // closed by Close
	err     error
	// writer state, owned by run
	w       *mcap.Writer
	f       *os.File
	opened  time.Time
	fileIDs map[Channel]uint16
	schemas map[*Topic]uint16
	seqNo   int
}

// New starts a recorder writing into cfg.Dir.
func New(cfg Config, log *slog.Logger) (*Recorder, error) {
	r, err := open(cfg, log)
	if err != nil {
		return nil, err
	}
	go r.run()
	return r, nil
}

// open makes a recorder with its first file open and its writer not yet
// started.
func open(cfg Config, log *slog.Logger) (*Recorder, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The queue holds at most QueueBytes of messages; its length bounds
	// the number of entries (small messages) as well.
	r := &Recorder{cfg: cfg, log: log, q: make(chan entry, 1<<16), done: make(chan struct{}), closing: make(chan struct{})}
	r.newBuffers()
	if err := r.openFile(time.Now()); err != nil {
		return nil, err
	}
	return r, nil
}

// maxFree bounds the free list.
const maxFree = 4096

// newBuffers sizes the free list.
func (r *Recorder) newBuffers() { r.free = make([]*[]byte, 0, maxFree) }

// AddChannel registers a channel on topic with metadata (copied); every
// file from now on has it until CloseChannel.
func (r *Recorder) AddChannel(t *Topic, metadata map[string]string) Channel {
	m := make(map[string]string, len(metadata))
	for k, v := range metadata {
		m[k] = v
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.channels = append(r.channels, channelDef{topic: t, meta: m, open: true})
	return Channel(len(r.channels) - 1)
}

// Sticky records data on ch at the start of every file from now on
// (and now), for what a reader of any one file needs, such as the
// configuration: files are rotated and the oldest deleted.
func (r *Recorder) Sticky(ch Channel, t int64, data []byte) {
	b := append([]byte(nil), data...)
	r.mu.Lock()
	r.sticky = append(r.sticky, entry{ch: ch, logTime: t, pubTime: t, buf: &b})
	r.mu.Unlock()
	r.Write(ch, 0, t, t, data)
}

// CloseChannel says no more messages come on ch: the next files do not
// declare it.
func (r *Recorder) CloseChannel(ch Channel) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(ch) < len(r.channels) {
		r.channels[ch].open = false
	}
}

// Write queues a message made of parts (concatenated) with its times in
// nanoseconds; it never blocks. It reports false when the message was
// dropped (the queue is full, or the recorder closed), which is counted.
// It allocates nothing once the recorder's buffers have grown.
func (r *Recorder) Write(ch Channel, seq uint32, logTime, pubTime int64, parts ...[]byte) bool {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if r.queued.Add(int64(n)) > r.cfg.QueueBytes {
		r.queued.Add(-int64(n))
		r.stats.dropped.Add(1)
		return false
	}
	bp := r.buffer()
	b := (*bp)[:0]
	for _, p := range parts {
		b = append(b, p...)
	}
	*bp = b
	return r.enqueue(ch, seq, logTime, pubTime, bp)
}

// Buffer returns an empty buffer for a message, to be appended to and
// handed to WriteBuffer, which takes it: a message encoded straight
// into it is not copied once more. It allocates nothing once the
// recorder's buffers have grown.
func (r *Recorder) Buffer() *[]byte {
	bp := r.buffer()
	*bp = (*bp)[:0]
	return bp
}

// WriteBuffer queues the message in *bp (from Buffer), as Write does, and
// takes bp: the caller must not touch it again.
func (r *Recorder) WriteBuffer(ch Channel, seq uint32, logTime, pubTime int64, bp *[]byte) bool {
	if n := int64(len(*bp)); r.queued.Add(n) > r.cfg.QueueBytes {
		r.queued.Add(-n)
		r.putBuffer(bp)
		r.stats.dropped.Add(1)
		return false
	}
	return r.enqueue(ch, seq, logTime, pubTime, bp)
}

func (r *Recorder) buffer() *[]byte {
	var bp *[]byte
	r.freeMu.Lock()
	if n := len(r.free); n > 0 {
		bp = r.free[n-1]
		r.free = r.free[:n-1]
	}
	r.freeMu.Unlock()
	if bp == nil {
		bp = new([]byte)
	}
	return bp
}

// enqueue queues bp, whose length is counted in r.queued already.
func (r *Recorder) enqueue(ch Channel, seq uint32, logTime, pubTime int64, bp *[]byte) bool {
	r.mu.RLock() // orders against Close closing the queue
	if r.closed {
		r.mu.RUnlock()
		r.release(bp)
		r.stats.dropped.Add(1)
		return false
	}
	select {
	case r.q <- entry{ch: ch, seq: seq, logTime: logTime, pubTime: pubTime, buf: bp}:
		r.mu.RUnlock()
		return true
	default:
		r.mu.RUnlock()
		r.release(bp)
		r.stats.dropped.Add(1)
		return false
	}
}

func (r *Recorder) release(bp *[]byte) {
	r.queued.Add(-int64(len(*bp)))
	r.putBuffer(bp)
}

// putBuffer returns bp, no longer counted as queued, to the free list.
func (r *Recorder) putBuffer(bp *[]byte) {
	if cap(*bp) > 1<<20 { // keep big one-offs from pinning memory
		return
	}
	r.freeMu.Lock()
	if len(r.free) < maxFree {
		r.free = append(r.free, bp)
	}
	r.freeMu.Unlock()
}

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	return Stats{Messages: r.stats.messages.Load(), Bytes: r.stats.bytes.Load(), Dropped: r.stats.dropped.Load(),
		Files: r.stats.files.Load(), Deleted: r.stats.deleted.Load(), Errors: r.stats.errors.Load(), QueuedBytes: r.queued.Load()}
}

// Close stops taking messages, writes what is queued, and closes the
// current file with its summary and footer.
func (r *Recorder) Close() error {
	if r.cfg.Pump != nil {
		r.cfg.Pump() // what the producer handed over last
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return r.err
	}
	r.closed = true
	close(r.q)
	close(r.closing)
	r.mu.Unlock()
	<-r.done
	return r.err
}

// PollEvery is how often the writer takes what was queued. It polls
// rather than waits on the queue so that a Write never wakes it: on a
// small machine, waking a goroutine per message costs the writers (the
// node's ingest and fusion goroutines) more than the message itself.
const PollEvery = 10 * time.Millisecond

func (r *Recorder) run() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.FlushEvery)
	defer t.Stop()
	poll := time.NewTicker(PollEvery)
	defer poll.Stop()
	for {
		select {
		case <-poll.C:
			if r.cfg.Pump != nil {
				r.cfg.Pump()
			}
			if r.drain() {
				r.err = r.closeFile()
				return
			}
		case <-r.closing:
			r.drain() // the queue is closed: all of it
			r.err = r.closeFile()
			return
		case now := <-t.C:
			if r.w != nil {
				if err := r.w.Flush(); err != nil {
					r.fail(err)
				}
			}
			if now.Sub(r.opened) >= r.cfg.MaxAge {
				r.rotate(now)
			}
		}
	}
}

// drain writes what is queued; it reports whether the queue is closed.
func (r *Recorder) drain() (closed bool) {
	for {
		select {
		case e, ok := <-r.q:
			if !ok {
				return true
			}
			r.writeEntry(e)
		default:
			return false
		}
	}
}

func (r *Recorder) writeEntry(e entry) {
	defer r.release(e.buf)
	if r.w == nil { // a failed file: try a new one
		if err := r.openFile(time.Now()); err != nil {
			r.stats.dropped.Add(1)
			return
		}
	}
	id, err := r.fileChannel(e.ch)
	if err != nil {
		r.fail(err)
		r.stats.dropped.Add(1)
		return
	}
	m := mcap.Message{ChannelID: id, Sequence: e.seq, LogTime: uint64(e.logTime), PublishTime: uint64(e.pubTime), Data: *e.buf}
	if err := r.w.WriteMessage(&m); err != nil {
		r.fail(err)
		r.stats.dropped.Add(1)
		return
	}
	r.stats.messages.Add(1)
	r.stats.bytes.Add(uint64(len(*e.buf)))
	if int64(r.w.Size()) >= r.cfg.MaxFile {
		r.rotate(time.Now())
	}
}

// fileChannel is the current file's id of ch, declaring it on first use.
func (r *Recorder) fileChannel(ch Channel) (uint16, error) {
	if id, ok := r.fileIDs[ch]; ok {
		return id, nil
	}
	r.mu.RLock()
	if int(ch) >= len(r.channels) {
		r.mu.RUnlock()
		return 0, fmt.Errorf("record: channel %d not added", ch)
	}
	def := r.channels[ch]
	r.mu.RUnlock()
	if len(r.fileIDs) >= 0xFFFF {
		r.rotate(time.Now())
	}
	sid, ok := r.schemas[def.topic]
	if !ok && def.topic.SchemaEncoding != "" {
		var err error
		if sid, err = r.w.AddSchema(def.topic.SchemaName, def.topic.SchemaEncoding, def.topic.Schema); err != nil {
			return 0, err
		}
		r.schemas[def.topic] = sid
	}
	id, err := r.w.AddChannel(sid, def.topic.Name, def.topic.MessageEncoding, def.meta)
	if err != nil {
		return 0, err
	}
	r.fileIDs[ch] = id
	return id, nil
}

func (r *Recorder) fail(err error) {
	r.stats.errors.Add(1)
	r.log.Error("recording failed; closing the file", "err", err)
	if r.f != nil {
		r.f.Close()
	}
	r.w, r.f = nil, nil
}

func (r *Recorder) rotate(now time.Time) {
	if err := r.closeFile(); err != nil {
		r.stats.errors.Add(1)
		r.log.Error("recording: closing a file", "err", err)
	}
	if err := r.openFile(now); err != nil {
		r.stats.errors.Add(1)
		r.log.Error("recording: opening a file", "err", err)
	}
}

// Suffix of the files a recorder writes.
const Suffix = ".mcap"

func (r *Recorder) openFile(now time.Time) error {
	r.prune()
	r.seqNo++
	name := filepath.Join(r.cfg.Dir, fmt.Sprintf("v2x-%s-%04d%s", now.UTC().Format("20060102T150405.000Z"), r.seqNo, Suffix))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	w, err := mcap.NewWriter(f, mcap.WriterOptions{Profile: r.cfg.Profile, ChunkSize: r.cfg.ChunkSize})
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.w, r.opened = f, w, now
	r.fileIDs, r.schemas = map[Channel]uint16{}, map[*Topic]uint16{}
	r.stats.files.Add(1)
	r.log.Info("recording", "file", name)
	// Declare the open channels at once, so a file always says what it
	// may hold even before their first message.
	r.mu.Lock()
	var open []Channel
	for i, c := range r.channels {
		if c.open {
			open = append(open, Channel(i))
		}
	}
	r.mu.Unlock()
	for _, ch := range open {
		if _, err := r.fileChannel(ch); err != nil {
			return err
		}
	}
	if r.stats.files.Load() == 1 {
		return nil // the first file gets them through the queue
	}
	r.mu.RLock()
	sticky := slices.Clone(r.sticky)
	r.mu.RUnlock()
	for _, e := range sticky {
		id, err := r.fileChannel(e.ch)
		if err != nil {
			return err
		}
		m := mcap.Message{ChannelID: id, LogTime: uint64(e.logTime), PublishTime: uint64(e.pubTime), Data: *e.buf}
		if err := r.w.WriteMessage(&m); err != nil {
			return err
		}
	}
	return nil
}

func (r *Recorder) closeFile() error {
	if r.w == nil {
		return nil
	}
	err := r.w.Close()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.w, r.f = nil, nil
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// prune deletes the oldest files until those left, and a new one of the
// largest size, fit MaxTotal.
func (r *Recorder) prune() {
	ents, err := os.ReadDir(r.cfg.Dir)
	if err != nil {
		return
	}
	type file struct {
		name string
		size int64
	}
	var files []file
	var total int64
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), Suffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{e.Name(), info.Size()})
		total += info.Size()
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) }) // names sort by time
	for len(files) > 0 && total+r.cfg.MaxFile > r.cfg.MaxTotal {
		if err := os.Remove(filepath.Join(r.cfg.Dir, files[0].name)); err != nil {
			r.log.Warn("recording: deleting an old file", "err", err)
			return
		}
		r.stats.deleted.Add(1)
		r.log.Info("recording: deleted the oldest file to stay under the total", "file", files[0].name, "max_total", r.cfg.MaxTotal)
		total -= files[0].size
		files = files[1:]
	}
}
