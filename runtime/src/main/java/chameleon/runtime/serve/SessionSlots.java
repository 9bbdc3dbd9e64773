package chameleon.runtime.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The live streams by session id, at most {@code capacity} at once. A slot is taken when a page presses
 * start and given back when its stream ends; a slot whose page never opened the stream (the tab closed
 * in between) is reclaimed after {@link #UNCLAIMED_NANOS}, checked lazily when the next page asks.
 */
final class SessionSlots {
    static final long UNCLAIMED_NANOS = 30_000_000_000L;
    private final int capacity;
    private final Map<String, LiveStream> streams = new LinkedHashMap<>();

    SessionSlots(int capacity) {
        this.capacity = capacity;
    }

    /** Reserves a slot for the stream {@code create} makes from a fresh id; empty when all are taken. */
    synchronized Optional<LiveStream> reserve(Function<String, LiveStream> create) {
        long now = System.nanoTime();
        List<String> abandoned = new ArrayList<>();
        for (LiveStream s : streams.values()) {
            if (!s.claimed() && now - s.reservedNanos() > UNCLAIMED_NANOS) {
                abandoned.add(s.id());
            }
        }
        abandoned.forEach(streams::remove);
        if (streams.size() >= capacity) {
            return Optional.empty();
        }
        LiveStream s = create.apply(java.util.UUID.randomUUID().toString());
        streams.put(s.id(), s);
        return Optional.of(s);
    }

    synchronized Optional<LiveStream> get(String id) {
        return Optional.ofNullable(streams.get(id));
    }

    /**
     * Stops the stream {@code id}. A stream nobody listens to yet gives its slot back at once; a running
     * one keeps it until {@link #ended} — its chunk in progress still holds the memory the cap is about.
     */
    synchronized void release(String id) {
        LiveStream s = streams.get(id);
        if (s == null) {
            return;
        }
        s.stop();
        if (!s.claimed()) {
            streams.remove(id);
        }
    }

    /** The stream {@code id} has finished and closed its session: its slot is free. */
    synchronized void ended(String id) {
        streams.remove(id);
    }

    synchronized int active() {
        return streams.size();
    }

    int capacity() {
        return capacity;
    }

    /** Stops every stream (server shutdown). */
    synchronized void releaseAll() {
        streams.values().forEach(LiveStream::stop);
        streams.clear();
    }
}
