package dev.cogvideox.train.run;

import dev.cogvideox.io.AtomicFile;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code loss.png}: the loss of every step (light) and its moving average over a twentieth of the run (dark), on a
 * log scale, drawn with java.awt into an image (no display needed).
 */
final class LossCurve {
    private static final int WIDTH = 800, HEIGHT = 450, MARGIN = 60;
    /** The x of the plot's right edge: where the last step is drawn. */
    static final int PLOT_RIGHT = (int) Math.round(MARGIN + (WIDTH - 1.5 * MARGIN));

    private LossCurve() {
    }

    static void write(Path png, List<double[]> points) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.drawRect(MARGIN, MARGIN / 2, WIDTH - MARGIN - MARGIN / 2, HEIGHT - MARGIN - MARGIN / 2);
            if (!points.isEmpty()) {
                plot(g, points);
            }
        } finally {
            g.dispose();
        }
        AtomicFile.write(png, tmp -> ImageIO.write(image, "png", tmp.toFile()));
    }

    private static void plot(Graphics2D g, List<double[]> points) {
        double minStep = points.getFirst()[0], maxStep = Math.max(minStep + 1, points.getLast()[0]);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] p : points) {
            double y = Math.log10(Math.max(p[1], 1e-12));
            lo = Math.min(lo, y);
            hi = Math.max(hi, y);
        }
        hi = Math.max(hi, lo + 1e-3);
        double[] smooth = movingAverage(points, Math.max(1, points.size() / 20));
        double[] raw = points.stream().mapToDouble(p -> p[1]).toArray();
        line(g, points, raw, minStep, maxStep, lo, hi, new Color(150, 180, 230), 1f);
        line(g, points, smooth, minStep, maxStep, lo, hi, new Color(20, 60, 160), 2f);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.3g", Math.pow(10, hi)), 4, MARGIN / 2 + 10);
        g.drawString(String.format(Locale.ROOT, "%.3g", Math.pow(10, lo)), 4, HEIGHT - MARGIN);
        // step labels under the ends of the x axis: the first left-aligned, the last right-aligned to the plot's edge
        int labels = HEIGHT - MARGIN / 2 + 15;
        g.drawString("step " + (long) minStep, MARGIN, labels);
        String last = "step " + (long) maxStep;
        g.drawString(last, PLOT_RIGHT - g.getFontMetrics().stringWidth(last), labels);
        String title = "loss (log scale)";
        g.drawString(title, (MARGIN + PLOT_RIGHT - g.getFontMetrics().stringWidth(title)) / 2, MARGIN / 2 - 8);
    }

    private static void line(Graphics2D g, List<double[]> points, double[] values, double minStep, double maxStep,
                             double lo, double hi, Color color, float width) {
        Path2D.Double path = new Path2D.Double();
        for (int i = 0; i < values.length; i++) {
            double x = MARGIN + (points.get(i)[0] - minStep) / (maxStep - minStep) * (WIDTH - 1.5 * MARGIN);
            double y = HEIGHT - MARGIN - (Math.log10(Math.max(values[i], 1e-12)) - lo) / (hi - lo) * (HEIGHT - 1.5 * MARGIN);
            if (i == 0) {
                path.moveTo(x, y);
            } else {
                path.lineTo(x, y);
            }
        }
        g.setColor(color);
        g.setStroke(new BasicStroke(width));
        g.draw(path);
    }

    private static double[] movingAverage(List<double[]> points, int window) {
        double[] out = new double[points.size()];
        double sum = 0;
        for (int i = 0; i < out.length; i++) {
            sum += points.get(i)[1];
            if (i >= window) {
                sum -= points.get(i - window)[1];
            }
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }
}
