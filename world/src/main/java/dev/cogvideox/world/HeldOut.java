package dev.cogvideox.world;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The fixed list of combinations that no training set contains ({@code held-out.txt} next to this class, one
 * {@code colour shape direction background} per line), and the rest of the world: the combinations training sees.
 */
public final class HeldOut {
    private static final String RESOURCE = "held-out.txt";
    private static final List<Combination> HELD_OUT = load();
    private static final Set<Combination> HELD_OUT_SET = Set.copyOf(HELD_OUT);
    private static final List<Combination> SEEN = Combination.all().stream().filter(c -> !HELD_OUT_SET.contains(c)).toList();

    private HeldOut() {
    }

    /** The held-out combinations, in the file's order. */
    public static List<Combination> combinations() {
        return HELD_OUT;
    }

    public static boolean contains(Combination c) {
        return HELD_OUT_SET.contains(c);
    }

    /** Every combination not held out, in {@link Combination#all()} order: what training sets are drawn from. */
    public static List<Combination> seen() {
        return SEEN;
    }

    private static List<Combination> load() {
        try (InputStream in = HeldOut.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the held-out list " + RESOURCE + " is missing from the world's jar (a broken build?)");
            }
            Set<Combination> list = new LinkedHashSet<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            for (int n = 1; (line = r.readLine()) != null; n++) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (!list.add(Combination.parseWords(line, RESOURCE + " line " + n))) {
                    throw new IllegalStateException(RESOURCE + " line " + n + ": '" + line + "' is listed twice");
                }
            }
            return List.copyOf(new ArrayList<>(list));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the held-out list " + RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
