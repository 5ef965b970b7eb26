package dev.cogvideox.layers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The package dependencies of compiled classes, read from their constant pools with the JDK's class-file API:
 * every class a class names (instantiates, calls, casts to, or mentions in a field or method type) counts. Only
 * packages under {@link #ROOT} are nodes; their uses of packages outside it (the JDK's left out) are kept apart, as
 * {@link #foreignUses}.
 */
final class PackageGraph {
    static final String ROOT = "dev.cogvideox";
    /** A class named in a descriptor or signature: {@code Lorg/bytedeco/javacv/Frame;}. */
    private static final Pattern TYPE = Pattern.compile("L([a-z]\\w*(?:/[\\w$]+)+);");

    /** Package to the packages it uses (itself excluded), each with one class that shows the edge. */
    private final Map<String, Map<String, String>> edges = new TreeMap<>();
    /** Package to the packages outside {@link #ROOT} and the JDK it uses, each with one class that shows the edge. */
    private final Map<String, Map<String, String>> foreign = new TreeMap<>();

    /** The graph of the given class files' bytes. */
    static PackageGraph of(List<byte[]> classFiles) {
        PackageGraph g = new PackageGraph();
        for (byte[] bytes : classFiles) {
            g.add(ClassFile.of().parse(bytes));
        }
        return g;
    }

    /** The graph of every class in the class folders or jars that hold {@code anchors} (one class per module). */
    static PackageGraph ofModules(Class<?>... anchors) {
        List<byte[]> files = new ArrayList<>();
        for (Class<?> anchor : anchors) {
            try {
                Path where = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
                files.addAll(Files.isDirectory(where) ? readFolder(where) : readJar(where));
            } catch (URISyntaxException | IOException e) {
                throw new IllegalStateException("cannot read the classes of " + anchor + ": " + e.getMessage(), e);
            }
        }
        return of(files);
    }

    private static List<byte[]> readFolder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".class")).map(p -> {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static List<byte[]> readJar(Path jar) throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (JarFile f = new JarFile(jar.toFile())) {
            for (var e : f.stream().filter(e -> e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")).toList()) {
                try (InputStream in = f.getInputStream(e)) {
                    out.add(in.readAllBytes());
                }
            }
        }
        return out;
    }

    private void add(ClassModel c) {
        String self = c.thisClass().asInternalName().replace('/', '.');
        String from = packageOf(self);
        if (!from.startsWith(ROOT + ".")) {
            return;
        }
        Map<String, String> uses = edges.computeIfAbsent(from, k -> new TreeMap<>());
        Map<String, String> outside = foreign.computeIfAbsent(from, k -> new TreeMap<>());
        for (PoolEntry e : c.constantPool()) {
            if (e instanceof ClassEntry ce) {
                use(uses, outside, from, self, ce.asInternalName());
            } else if (e instanceof Utf8Entry u) {
                Matcher m = TYPE.matcher(u.stringValue());
                while (m.find()) {
                    use(uses, outside, from, self, m.group(1));
                }
            }
        }
    }

    private static void use(Map<String, String> uses, Map<String, String> outside, String from, String self, String internalName) {
        String name = internalName.replaceFirst("^\\[*L?", "").replace(";", "").replace('/', '.');
        String to = packageOf(name);
        if (to.startsWith(ROOT + ".")) {
            if (!to.equals(from)) {
                uses.putIfAbsent(to, self + " -> " + name);
            }
        } else if (!to.isEmpty() && !to.startsWith("java.") && !to.startsWith("javax.") && !to.startsWith("jdk.")) {
            outside.putIfAbsent(to, self + " -> " + name);
        }
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    Set<String> packages() {
        Set<String> all = new TreeSet<>(edges.keySet());
        edges.values().forEach(m -> all.addAll(m.keySet()));
        return all;
    }

    /** The packages that hold at least one of the classes read. */
    Set<String> ownPackages() {
        return edges.keySet();
    }

    /** The packages {@code pkg} uses, each with an example class reference. */
    Map<String, String> uses(String pkg) {
        return edges.getOrDefault(pkg, Map.of());
    }

    /** The packages outside {@link #ROOT} and the JDK that {@code pkg} uses, each with an example class reference. */
    Map<String, String> foreignUses(String pkg) {
        return foreign.getOrDefault(pkg, Map.of());
    }
}
