package dev.cogvideox.layers;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layers of {@code docs/design.md}, lowest first: a package may use packages of its own layer or lower ones,
 * never a higher one, and no packages use each other in a cycle. A package belongs to the layer of its first
 * name under {@code dev.cogvideox} ({@code dev.cogvideox.model.vae} is in {@code model}).
 */
final class Layers {
    /**
     * Layer ranks: tensor < io, random, progress < model < pipeline, synth < verify, distributed < train < world < the front
     * ends (cli, serve, batch, data). {@code distributed} (MPI ranks) above the pipeline: core splits a run over a
     * {@code model.ProcessGroup} and never uses MPI itself.
     */
    static final Map<String, Integer> RANK = Map.ofEntries(
            Map.entry("tensor", 0),
            Map.entry("io", 1), Map.entry("random", 1), Map.entry("progress", 1),
            Map.entry("model", 2),
            Map.entry("pipeline", 3), Map.entry("synth", 3),
            Map.entry("verify", 4), Map.entry("distributed", 4),
            Map.entry("train", 5),
            Map.entry("world", 6),
            Map.entry("cli", 7), Map.entry("serve", 7), Map.entry("batch", 7), Map.entry("data", 7));

    /**
     * What the library core (the {@code core} module) must not use: the {@code video} module's package and the
     * native libraries (JavaCV, FFmpeg) it wraps. A user of the library alone gets no native dependency.
     */
    static final List<String> NOT_IN_CORE = List.of("dev.cogvideox.io.video", "org.bytedeco");

    private static final Pattern DEPENDENCY = Pattern.compile(
            "<dependency>\\s*<groupId>([^<]+)</groupId>\\s*<artifactId>([^<]+)</artifactId>");

    private Layers() {
    }

    /** Every use of a {@link #NOT_IN_CORE} package by {@code core}, the graph of the core module's classes alone. */
    static List<String> coreViolations(PackageGraph core) {
        List<String> out = new ArrayList<>();
        for (String from : core.ownPackages()) {
            if (notForCore(from)) {
                out.add(from + " is in the core module (it belongs to the video module)");
                continue;
            }
            core.uses(from).forEach((to, example) -> {
                if (notForCore(to)) {
                    out.add("core uses the video module: " + from + " -> " + to + " (" + example + ")");
                }
            });
            core.foreignUses(from).forEach((to, example) -> {
                if (notForCore(to)) {
                    out.add("core uses a native library: " + from + " -> " + to + " (" + example + ")");
                }
            });
        }
        return out;
    }

    /** The dependencies of a module's {@code pom.xml} text that {@link #NOT_IN_CORE} rules out. */
    static List<String> corePomViolations(String pom) {
        List<String> out = new ArrayList<>();
        Matcher m = DEPENDENCY.matcher(pom);
        while (m.find()) {
            if (m.group(1).startsWith("org.bytedeco") || m.group(2).equals("cogvideox-video")) {
                out.add("core's pom depends on " + m.group(1) + ":" + m.group(2) + " (move the code that needs it to the video module)");
            }
        }
        return out;
    }

    private static boolean notForCore(String pkg) {
        return NOT_IN_CORE.stream().anyMatch(p -> pkg.equals(p) || pkg.startsWith(p + "."));
    }

    /** Every violation: back-edges (a lower layer using a higher one), packages of no known layer, and cycles. */
    static List<String> violations(PackageGraph g) {
        List<String> out = new ArrayList<>();
        for (String from : g.packages()) {
            Integer rank = rank(from);
            if (rank == null) {
                out.add(from + " is in no layer of design.md (add it to Layers.RANK)");
                continue;
            }
            g.uses(from).forEach((to, example) -> {
                Integer r = rank(to);
                if (r != null && r > rank) {
                    out.add("back-edge " + from + " -> " + to + " (" + example + ")");
                }
            });
        }
        for (List<String> cycle : cycles(g)) {
            out.add("package cycle " + cycle);
        }
        return out;
    }

    static Integer rank(String pkg) {
        String rest = pkg.substring(PackageGraph.ROOT.length() + 1);
        int dot = rest.indexOf('.');
        return RANK.get(dot < 0 ? rest : rest.substring(0, dot));
    }

    /** Strongly connected components of more than one package (Tarjan), each sorted. */
    static List<List<String>> cycles(PackageGraph g) {
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<List<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String p : g.packages()) {
            if (!index.containsKey(p)) {
                connect(g, p, index, low, stack, next, out);
            }
        }
        return out;
    }

    private static void connect(PackageGraph g, String v, Map<String, Integer> index, Map<String, Integer> low,
                                Deque<String> stack, int[] next, List<List<String>> out) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        for (String w : g.uses(v).keySet()) {
            if (!index.containsKey(w)) {
                connect(g, w, index, low, stack, next, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            TreeSet<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(List.copyOf(component));
            }
        }
    }
}
