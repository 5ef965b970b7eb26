package dev.cogvideox.verify;

import java.util.List;
import java.util.Objects;

/**
 * Reads case arguments that this implementation supports with one value only (dtype float32, device cpu, a fixed
 * output type): the argument is taken, and a case asking for anything else fails naming it instead of being run
 * with a value it did not ask for.
 */
public final class Implemented {
    private Implemented() {
    }

    /** {@code node} (when present) must be one of {@code supported}; JSON null counts as the value null. */
    public static void oneOf(SpecNode node, Object... supported) {
        if (!node.exists()) {
            return;
        }
        if (node.isObject() || node.size() > 0) {
            throw new IllegalArgumentException(node.path() + ": a single value expected, got a structure");
        }
        Object value = node.isNull() ? null : node.isNumber() ? (Object) node.asDouble()
                : node.isBoolean() ? (Object) node.asBoolean() : node.asText();
        for (Object s : supported) {
            Object want = s instanceof Number n ? (Object) n.doubleValue() : s;
            if (Objects.equals(want, value)) {
                return;
            }
        }
        throw new IllegalArgumentException(node.path() + " = " + value + ": only " + List.of(supported) + " implemented here");
    }

    /** {@code dtype} float32 and {@code device} cpu, when the case names them. */
    public static void float32Cpu(SpecNode args) {
        oneOf(args.get("dtype"), "float32", "torch.float32");
        oneOf(args.get("device"), "cpu");
    }

    /** {@code return_dict}: either value gives the same tensors here. */
    public static void returnDict(SpecNode args) {
        oneOf(args.get("return_dict"), true, false);
    }
}
