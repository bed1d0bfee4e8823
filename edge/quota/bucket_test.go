package quota

import "testing"

func TestBucket(t *testing.T) {
	const s = int64(1e9)
	b := NewBucket(10, 5) // 10/s, burst 5
	now := int64(100 * s)
	for i := range 5 {
		if !b.Allow(now, 1) {
			t.Fatalf("token %d of the burst refused", i)
		}
	}
	if b.Allow(now, 1) {
		t.Fatal("6th token at once allowed past a burst of 5")
	}
	if !b.Allow(now+s/10, 1) {
		t.Fatal("token refused 100 ms later at 10/s")
	}
	if b.Allow(now+s/10, 1) {
		t.Fatal("second token allowed 100 ms later at 10/s")
	}
	if !b.Allow(now+10*s, 5) || b.Allow(now+10*s, 1) {
		t.Fatal("refill beyond the burst")
	}
	if b.Allow(now+20*s, 6) {
		t.Fatal("request larger than the burst allowed")
	}
	var z Bucket
	if !z.Allow(0, 1e9) || !z.Unlimited() {
		t.Fatal("zero bucket refused")
	}
}

func TestAccountAllocs(t *testing.T) {
	r := NewRegistry(DefaultConfig())
	a, ok := r.Connect("cam-1", RoleProducer)
	if !ok {
		t.Fatal("connect refused")
	}
	now := int64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now += 1e6
		a.AllowFrame(now)
		a.AllowObjects(now, 200)
		a.AllowSubscribe(now)
		a.AllowMap(now)
		if a.Take(100) {
			a.Give(100)
		}
		if a.OpenStream() {
			a.CloseStream()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per frame's checks, want 0", allocs)
	}
}

func TestBucketNeed(t *testing.T) {
	b := NewBucket(2, 2) // 2 a second, burst 2
	if b.Need(0, 1) != 0 {
		t.Fatal("full bucket needs time")
	}
	b.Allow(0, 2)
	if d := b.Need(0, 1); d < 499e6 || d > 501e6 {
		t.Errorf("empty bucket of 2/s needs %d ns for a token, want 500 ms", d)
	}
	if d := b.Need(250e6, 1); d < 249e6 || d > 251e6 {
		t.Errorf("a quarter second later it needs %d ns, want 250 ms", d)
	}
	if d := b.Need(0, 10); d < 999e6 || d > 1001e6 {
		t.Errorf("more than the burst needs %d ns, want the time to fill it (1 s)", d)
	}
	var free Bucket
	if free.Need(0, 1e9) != 0 {
		t.Error("an unlimited bucket needs time")
	}
}
