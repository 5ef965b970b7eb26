package dev.cogvideox.cli;

/**
 * A child-process main for {@link CtrlCTest}: a job that never checks its token (as a long kernel between two checks),
 * so only a second Ctrl-C can end it early.
 */
final class CancellableProbe {
    private CancellableProbe() {
    }

    public static void main(String[] args) throws Exception {
        int code = Cancellable.run(60, cancel -> {
            System.err.println("ready");
            long end = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < end) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ignored) {
                    // a job deaf to everything
                }
            }
            return 0;
        });
        System.exit(code);
    }
}
