package dev.cogvideox.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs fuzz cases and sorts their outcomes: a correct result (the case's own check passed), a clean error (an
 * exception of a documented type with a message that names the input), or a failure (anything else: another
 * exception, a message without the input's name, a wrong result, or no answer within the time limit).
 */
final class Fuzz implements AutoCloseable {
    /** One case: returns normally after checking its result, or throws. */
    @FunctionalInterface
    interface Case {
        void run() throws Exception;
    }

    private final String name;
    private final long timeoutMillis;
    private final List<Class<? extends Exception>> clean;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz");
        t.setDaemon(true);
        return t;
    });
    int accepted;
    int refused;
    int hangs;
    final List<String> failures = new ArrayList<>();

    @SafeVarargs
    Fuzz(String name, Class<? extends Exception>... clean) {
        this(name, 20_000, clean);
    }

    @SafeVarargs
    Fuzz(String name, long timeoutMillis, Class<? extends Exception>... clean) {
        this.name = name;
        this.timeoutMillis = timeoutMillis;
        this.clean = List.of(clean);
    }

    /** Runs {@code c}; {@code input} must appear in a clean error's message (the file's name). */
    void run(String label, String input, Case c) {
        Future<?> f = worker.submit(() -> {
            c.run();
            return null;
        });
        try {
            f.get(timeoutMillis, TimeUnit.MILLISECONDS);
            accepted++;
        } catch (TimeoutException e) {
            f.cancel(true);
            hangs++;
            failures.add(label + ": no answer within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            boolean documented = clean.stream().anyMatch(k -> k.isInstance(t));
            if (documented && t.getMessage() != null && t.getMessage().contains(input)) {
                refused++;
            } else {
                failures.add(label + ": " + t + (documented ? " (message does not name " + input + ")" : ""));
            }
        }
    }

    int total() {
        return accepted + refused + failures.size();
    }

    /** The line the test prints. */
    String summary() {
        return String.format("fuzz %-16s %4d cases: %4d accepted (checked), %4d refused with a clean error, %d failures, %d hangs",
                name, total(), accepted, refused, failures.size() - hangs, hangs);
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
