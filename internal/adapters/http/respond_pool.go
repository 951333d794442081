package http

import "sync"

// bodyBuffers recycles the buffers answers are encoded into: one per
// request otherwise, grown again each time.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBody keeps a huge answer's buffer from staying in the pool.
const maxPooledBody = 64 << 10
