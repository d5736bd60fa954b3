"""Token buckets in Redis, shared by every worker (the connectors' ``Limiter`` protocol).

Amazon meters each operation per seller with a token bucket. Several RQ workers syncing one
seller must draw from one bucket, or together they overrun it and collect 429s. The bucket
lives in one Redis hash per key and changes only inside a Lua script, on Redis's clock, so
concurrent workers on several machines see one consistent bucket.
"""

from __future__ import annotations

from redis import Redis

# tokens = min(burst, tokens + elapsed * rate) - 1; wait = max(0, -tokens / rate, blocked - now).
# The token is spent even when the caller must wait: it sends after the wait without asking
# again, so the bucket stays the single source of truth.
_ACQUIRE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp', 'blocked')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
local blocked = tonumber(state[3]) or 0
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate) - 1
local wait = math.max(0, -tokens / rate, blocked - now)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now),
           'blocked', tostring(blocked))
redis.call('EXPIRE', KEYS[1], ttl)
return tostring(wait)
"""

_PENALIZE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tokens = math.min(0, tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0'))
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now),
           'blocked', tostring(now + tonumber(ARGV[1])))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


class RedisLimiter:
    """``Limiter`` whose buckets every process connected to the same Redis shares."""

    def __init__(self, redis: Redis, prefix: str = "claimdesk:ratelimit:", ttl: int = 6 * 3600):
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl  # an idle bucket is full again long before this
        self._acquire = redis.register_script(_ACQUIRE)
        self._penalize = redis.register_script(_PENALIZE)

    def acquire(self, key: str, rate: float, burst: int) -> float:
        """Spend one token; return the seconds to wait before sending."""
        return float(self._acquire(keys=[self.prefix + key], args=[rate, burst, self.ttl]))

    def penalize(self, key: str, seconds: float) -> None:
        """Amazon answered 429: empty the bucket and hold everyone back ``seconds``."""
        self._penalize(keys=[self.prefix + key], args=[max(0.0, seconds), self.ttl])
