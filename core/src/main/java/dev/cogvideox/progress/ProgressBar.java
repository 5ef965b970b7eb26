package dev.cogvideox.progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Renders progress to a {@link PrintStream}. On a terminal it redraws one line in place with a carriage
 * return: {@code denoising [#####-----] 12/50 24% 00:31<01:38 2.50 s/it}, at most every 100 ms. Elsewhere (a log
 * file, a pipe) it prints a plain line each time another tenth of the task is done and when the task ends.
 * Elapsed time, rate and ETA are measured from {@code onStart}, a resumed task's from the count it resumed at; progress
 * inside an item ({@link #onSubProgress}, e.g. {@code 0/1 [12/42]} for block 12 of a step's 42) counts as a fraction of an item in the bar, the percentage, the
 * rate, the ETA and the plain lines' tenths. One task reports at a time; a line printed while a bar is drawn goes
 * through {@link #println} so that it never ends up glued to the bar. A console bar also redraws itself every
 * second, so the elapsed time and ETA keep moving while a long item runs (a full-size decoder part takes seconds).
 */
public final class ProgressBar implements ProgressListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int DEFAULT_WIDTH = 80;
    private static final int MIN_BAR = 10;

    private final PrintStream out;
    private final boolean interactive;
    private final int width;
    private final LongSupplier nanoClock;

    private String task = "";
    private long total;
    private ProgressUnit unit = ProgressUnit.ITEMS;
    private long startNanos;
    private long lastDrawNanos;
    private long done;
    /** The count the task started at: 0, or where a resumed task picked up (items done by an earlier run). */
    private long startDone;
    private long subDone;
    private long subTotal;
    private long lastTenth;
    private boolean running;
    private boolean atLineStart = true;
    private Thread ticker;
    /** The terminal bar drawn last and not yet ended, for lines printed by code that has no bar at hand (log records). */
    private static volatile ProgressBar active;

    /**
     * @param interactive redraw in place (a terminal) or print sparse plain lines
     * @param width       line width in columns for the interactive bar
     * @param nanoClock   time source in nanoseconds ({@code System::nanoTime}; tests pass a fake)
     */
    public ProgressBar(PrintStream out, boolean interactive, int width, LongSupplier nanoClock) {
        this.out = out;
        this.interactive = interactive;
        this.width = width;
        this.nanoClock = nanoClock;
    }

    /**
     * A bar on {@code out} that redraws in place when this process's console is a terminal (width from
     * {@code $COLUMNS}, else 80), and prints plain lines when output is redirected.
     */
    public static ProgressBar forConsole(PrintStream out) {
        boolean terminal = System.console() != null && System.console().isTerminal();
        ProgressBar bar = new ProgressBar(out, terminal, columns(System.getenv("COLUMNS")), System::nanoTime);
        if (terminal) {
            bar.tickEvery(1000);
        }
        return bar;
    }

    /** Redraws the running bar whenever {@code millis} pass without a redraw (a daemon thread; interactive bars only). */
    synchronized void tickEvery(long millis) {
        if (ticker != null || !interactive) {
            return;
        }
        ticker = Thread.ofPlatform().daemon().name("progress ticker").start(() -> {
            try {
                while (true) {
                    Thread.sleep(millis);
                    synchronized (this) {
                        if (running && nanoClock.getAsLong() - lastDrawNanos >= millis * 1_000_000L) {
                            lastDrawNanos = nanoClock.getAsLong();
                            draw();
                        }
                    }
                }
            } catch (InterruptedException stop) {
                // the JVM is exiting
            }
        });
    }

    /**
     * Prints {@code line} on {@code out} as a line of its own: through the terminal bar being drawn, if any (see
     * {@link #println}), else directly. For messages from code that does not know about the bar, such as log records.
     */
    public static void printLine(PrintStream out, String line) {
        ProgressBar bar = active;
        if (bar != null && bar.out == out) {
            bar.println(line);
        } else {
            out.println(line);
        }
    }

    /**
     * Prints one line of its own (a file written, a skipped sample): on a terminal the bar is cleared first and drawn
     * again below the line, so the line is never glued to the bar.
     */
    public synchronized void println(String line) {
        if (interactive && !atLineStart) {
            out.print("\r" + " ".repeat(Math.max(0, width)) + "\r");
        }
        out.println(line);
        atLineStart = true;
        if (interactive && running) {
            draw();
        }
        out.flush();
    }

    private static int columns(String env) {
        if (env != null && env.matches("\\d{2,4}")) {
            return Integer.parseInt(env);
        }
        return DEFAULT_WIDTH;
    }

    @Override
    public synchronized void onStart(String task, long total, ProgressUnit unit) {
        onStart(task, total, unit, 0);
    }

    @Override
    public synchronized void onStart(String task, long total, ProgressUnit unit, long startingAt) {
        if (running) {
            onEnd();
        }
        this.task = task;
        this.total = total;
        this.unit = unit;
        this.done = Math.max(0, startingAt);
        this.startDone = done;
        this.subDone = 0;
        this.subTotal = 0;
        this.lastTenth = total > 0 ? Math.min(10, done * 10 / total) : 0;   // plain lines: from the next tenth on
        this.startNanos = nanoClock.getAsLong();
        this.lastDrawNanos = startNanos;
        this.running = true;
        if (interactive) {
            draw();
        }
    }

    @Override
    public synchronized void onProgress(long done) {
        if (!running) {
            return;
        }
        this.done = done;
        this.subDone = 0;
        this.subTotal = 0;
        update(total > 0 && done >= total);
    }

    @Override
    public synchronized void onSubProgress(long done, long total) {
        if (!running || total <= 0) {
            return;
        }
        this.subDone = Math.clamp(done, 0, total);
        this.subTotal = total;
        if (subDone < subTotal) {
            update(false);   // a finished item is shown by the onProgress that follows, as a whole count
        }
    }

    /** Redraws (at most every 100 ms, or now when {@code force}) or prints a plain line at each new tenth. */
    private void update(boolean force) {
        long now = nanoClock.getAsLong();
        if (interactive) {
            if (now - lastDrawNanos >= REDRAW_NANOS || force) {
                lastDrawNanos = now;
                draw();
            }
        } else if (total > 0) {
            double progress = progress();
            long tenth = Math.min(10, (long) (progress * 10 / total));
            if (tenth > lastTenth && progress < total) {
                lastTenth = tenth;
                out.println(task + ": " + status(now));
            }
        }
    }

    /** Items done, with the part of the current item done as a fraction. */
    private double progress() {
        return done + (subTotal > 0 ? (double) subDone / subTotal : 0);
    }

    @Override
    public synchronized void onEnd() {
        if (!running) {
            return;
        }
        running = false;
        long now = nanoClock.getAsLong();
        boolean complete = total <= 0 || progress() >= total;   // else abandoned (cancelled or failed)
        if (interactive) {
            draw();
            out.println();
            atLineStart = true;
            active = null;
        } else {
            out.println(task + ": " + status(now) + (complete ? " done" : " stopped"));
        }
        out.flush();
    }

    private void draw() {
        String status = status(nanoClock.getAsLong());
        String line = task + " " + bar(width - task.length() - status.length() - 2) + " " + status;
        out.print("\r" + line);
        out.flush();
        atLineStart = false;
        active = this;
    }

    private String bar(int cells) {
        int n = Math.max(MIN_BAR, cells - 2);
        int filled = total > 0 ? (int) Math.min(n, (long) (progress() * n / total)) : 0;
        return "[" + "#".repeat(filled) + "-".repeat(n - filled) + "]";
    }

    /** {@code 12/50 24% 00:31<01:38 2.50 s/it}, with {@code [part/parts]} inside an item; without a known total only count, elapsed and rate. */
    private String status(long now) {
        double seconds = (now - startNanos) / 1e9;
        double progress = progress();
        double rate = seconds > 0 ? (progress - startDone) / seconds : 0;
        StringBuilder s = new StringBuilder();
        s.append(count(done));
        if (total > 0) {
            s.append('/').append(count(total));
        }
        if (subTotal > 0) {
            s.append(" [").append(subDone).append('/').append(subTotal).append(']');
        }
        if (total > 0) {
            s.append(' ').append((long) (progress * 100 / total)).append("% ").append(clock(seconds));
            s.append('<').append(rate > 0 ? clock((total - progress) / rate) : "?");
        } else {
            s.append(' ').append(clock(seconds));
        }
        s.append(' ').append(rate(rate));
        return s.toString();
    }

    private String count(long n) {
        return unit == ProgressUnit.BYTES ? bytes(n) : Long.toString(n);
    }

    private String rate(double perSecond) {
        if (unit == ProgressUnit.BYTES) {
            return bytes((long) perSecond) + "/s";
        }
        if (perSecond <= 0) {
            return "? it/s";
        }
        return perSecond >= 1
                ? String.format(Locale.ROOT, "%.2f it/s", perSecond)
                : String.format(Locale.ROOT, "%.2f s/it", 1 / perSecond);
    }

    /** Bytes with a binary prefix: {@code 512 B}, {@code 3.4 MiB}, {@code 11.2 GiB}. */
    public static String bytes(long n) {
        String[] prefixes = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int p = 0;
        while (v >= 1024 && p < prefixes.length - 1) {
            v /= 1024;
            p++;
        }
        return p == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, prefixes[p]);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
