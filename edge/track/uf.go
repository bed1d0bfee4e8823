package track

// uf is a union-find over node indices with a generation-stamped mark
// array, reset without clearing.
type uf struct {
	parent []int32
	mark   []uint32 // generation stamps: per-root "component solved", per-node "seen"
	seenAt []uint32
	gen    uint32
}

func (u *uf) reset(n int) {
	u.parent = grow(u.parent, n)
	for i := range u.parent {
		u.parent[i] = int32(i)
	}
	if len(u.mark) < n {
		u.mark = make([]uint32, n)
		u.seenAt = make([]uint32, n)
		u.gen = 0
	}
	u.gen++
	if u.gen == 0 {
		clear(u.mark)
		clear(u.seenAt)
		u.gen = 1
	}
}

func (u *uf) find(i int) int {
	for int(u.parent[i]) != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = int(u.parent[i])
	}
	return i
}

func (u *uf) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u.parent[ra] = int32(rb)
	}
}

// seen marks node i and reports whether it was already marked in this
// generation.
func (u *uf) seen(i int) bool {
	if u.seenAt[i] == u.gen {
		return true
	}
	u.seenAt[i] = u.gen
	return false
}
