package dev.cogvideox.data.caption;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most N requests a minute to one server from this JVM (an executor's tasks share it): each request takes the next
 * free slot, {@code 60/N} s after the one before, and waits for it.
 */
final class RateLimiter {
    private static final Map<String, RateLimiter> BY_SERVER = new ConcurrentHashMap<>();

    private final long intervalNanos;
    private long next;

    private RateLimiter(double perMinute) {
        this.intervalNanos = (long) (60e9 / perMinute);
        this.next = System.nanoTime();
    }

    /** This JVM's limiter for {@code server} at {@code perMinute} (0 or less: none). */
    static RateLimiter of(String server, double perMinute) {
        return perMinute <= 0 ? null : BY_SERVER.computeIfAbsent(server + "@" + perMinute, k -> new RateLimiter(perMinute));
    }

    void acquire() throws InterruptedException {
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            long slot = Math.max(now, next);
            next = slot + intervalNanos;
            wait = slot - now;
        }
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }
}
