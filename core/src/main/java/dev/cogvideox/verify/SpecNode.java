package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A read-tracking view of one node of a golden case's JSON. Navigating ({@link #get}, {@link #at}) records nothing;
 * taking a value ({@link #asText}, {@link #asInt}, ..., {@link #isNull}, {@link #present}) records this node as read,
 * and {@link #whole} records its whole subtree. {@link GoldenCase#unread} then lists every input leaf that no
 * verifier took, so a case never passes on a partial reading.
 */
public final class SpecNode implements Iterable<SpecNode> {
    private final JsonNode node;
    private final String path;
    private final Set<String> touched;

    SpecNode(JsonNode node, String path, Set<String> touched) {
        this.node = node == null ? MissingNode.getInstance() : node;
        this.path = path;
        this.touched = touched;
    }

    /** The path of this node in the case, e.g. {@code arguments/enable_tiling/tile_sample_min_height}. */
    public String path() {
        return path;
    }

    /** The child {@code key} of an object (a missing node when absent). */
    public SpecNode get(String key) {
        return new SpecNode(node.get(key), path + "/" + key, touched);
    }

    /** Element {@code i} of an array. */
    public SpecNode at(int i) {
        return new SpecNode(node.get(i), path + "/" + i, touched);
    }

    /** Elements of an array, or values of an object, in order; an empty one is read so. */
    @Override
    public Iterator<SpecNode> iterator() {
        touch();
        List<SpecNode> children = new ArrayList<>();
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                children.add(at(i));
            }
        } else if (node.isObject()) {
            node.fieldNames().forEachRemaining(k -> children.add(get(k)));
        }
        return children.iterator();
    }

    /** The keys of an object, in order (navigation only: records nothing). */
    public List<String> keys() {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** Whether this is a JSON object (navigation only, records nothing). */
    public boolean isObject() {
        return node.isObject();
    }

    /** Whether this is a JSON string (navigation only, records nothing). */
    public boolean isText() {
        return node.isTextual();
    }

    /** Whether this is a JSON number (navigation only). */
    public boolean isNumber() {
        return node.isNumber();
    }

    /** Whether this is a JSON boolean (navigation only). */
    public boolean isBoolean() {
        return node.isBoolean();
    }

    public int size() {
        return node.size();
    }

    /** Present in the case (not missing); navigation only, records nothing. */
    public boolean exists() {
        return !node.isMissingNode();
    }

    /** Present in the case; records this node (an empty object such as {@code enable_tiling: {}} is read so). */
    public boolean present() {
        touch();
        return exists();
    }

    /** Present and not JSON null; records this node. */
    public boolean hasValue() {
        touch();
        return exists() && !node.isNull();
    }

    public boolean isNull() {
        touch();
        return node.isNull();
    }

    public String asText() {
        touch();
        return node.asText();
    }

    public String asText(String absent) {
        touch();
        return exists() && !node.isNull() ? node.asText() : absent;
    }

    public int asInt() {
        touch();
        requireNumber();
        return node.asInt();
    }

    public long asLong() {
        touch();
        requireNumber();
        return node.asLong();
    }

    public double asDouble() {
        touch();
        requireNumber();
        return node.asDouble();
    }

    public boolean asBoolean() {
        touch();
        if (!node.isBoolean()) {
            throw new IllegalArgumentException(path + ": expected true or false, got " + node);
        }
        return node.asBoolean();
    }

    /** A boolean that may be absent ({@code absent} then). */
    public boolean asBoolean(boolean absent) {
        return exists() ? asBoolean() : absent;
    }

    /** The raw JSON of this node, recording its whole subtree as read. */
    public JsonNode whole() {
        touched.add(path + "/**");
        return node;
    }

    private void touch() {
        touched.add(path);
    }

    private void requireNumber() {
        if (!node.isNumber()) {
            throw new IllegalArgumentException(path + ": expected a number, got " + (exists() ? node : "nothing"));
        }
    }

    /**
     * Paths of the leaves under {@code node} (values, nulls, empty objects and arrays) that neither they nor an ancestor were recorded for.
     */
    /** Keys that describe rather than ask for anything, wherever they appear. */
    private static final Set<String> DESCRIPTIVE = Set.of("note", "notes", "description");

    static void unreadLeaves(JsonNode node, String path, Set<String> touched, List<String> out) {
        if (touched.contains(path + "/**")) {
            return;
        }
        if (!node.isContainerNode() || node.isEmpty()) {
            if (!touched.contains(path)) {
                out.add(path);
            }
            return;
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                unreadLeaves(node.get(i), path + "/" + i, touched, out);
            }
        } else {
            node.fieldNames().forEachRemaining(k -> {
                if (!DESCRIPTIVE.contains(k)) {
                    unreadLeaves(node.get(k), path + "/" + k, touched, out);
                }
            });
        }
    }
}
