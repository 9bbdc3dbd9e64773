package chameleon.bench;

/** Parses the {@code "AxBxC"} shape strings that benchmark parameters use. */
final class Shapes {
    private Shapes() {
    }

    /** The {@code n} positive integers of {@code "AxBx…"}; IllegalArgumentException otherwise. */
    static int[] parse(String shape, int n) {
        String[] parts = shape.split("x");
        if (parts.length != n) {
            throw new IllegalArgumentException("shape '" + shape + "' must have " + n + " sizes separated by 'x'");
        }
        int[] dims = new int[n];
        for (int i = 0; i < n; i++) {
            dims[i] = Integer.parseInt(parts[i]);
            if (dims[i] <= 0) {
                throw new IllegalArgumentException("shape '" + shape + "' has a non-positive size");
            }
        }
        return dims;
    }
}
