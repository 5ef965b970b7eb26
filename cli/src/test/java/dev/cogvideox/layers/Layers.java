package dev.cogvideox.layers;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The layers of {@code docs/design.md}, lowest first: a package may use packages of its own layer or lower ones,
 * never a higher one, and no packages use each other in a cycle. A package belongs to the layer of its first
 * name under {@code dev.cogvideox} ({@code dev.cogvideox.model.vae} is in {@code model}).
 */
final class Layers {
    /** Layer ranks: tensor < io, random, progress < model < pipeline, synth < verify < train < world < the front ends (cli, serve). */
    static final Map<String, Integer> RANK = Map.ofEntries(
            Map.entry("tensor", 0),
            Map.entry("io", 1), Map.entry("random", 1), Map.entry("progress", 1),
            Map.entry("model", 2),
            Map.entry("pipeline", 3), Map.entry("synth", 3),
            Map.entry("verify", 4),
            Map.entry("train", 5),
            Map.entry("world", 6),
            Map.entry("cli", 7), Map.entry("serve", 7), Map.entry("batch", 7));

    private Layers() {
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
