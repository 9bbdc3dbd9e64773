package chameleon.runtime.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed command-line words: positional arguments plus {@code --name value} options and
 * {@code --flag} switches, each checked against what the command accepts.
 */
final class Arguments {
    private final String command;
    private final List<String> positional = new ArrayList<>();
    private final Map<String, List<String>> options = new LinkedHashMap<>();

    Arguments(String command, String[] words, int from, Set<String> valued, Set<String> flags) {
        this.command = command;
        for (int i = from; i < words.length; i++) {
            String w = words[i];
            if (w.startsWith("--")) {
                String name = w.substring(2);
                if (flags.contains(name)) {
                    options.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
                } else if (valued.contains(name)) {
                    if (i + 1 >= words.length) {
                        throw usage("option --" + name + " needs a value");
                    }
                    options.computeIfAbsent(name, k -> new ArrayList<>()).add(words[++i]);
                } else {
                    throw usage("unknown option --" + name);
                }
            } else {
                positional.add(w);
            }
        }
    }

    CliException usage(String message) {
        return new CliException(ExitCode.USAGE, command + ": " + message);
    }

    List<String> positional() {
        return positional;
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    String option(String name) {
        List<String> v = options.get(name);
        if (v == null) {
            return null;
        }
        if (v.size() > 1) {
            throw usage("option --" + name + " given " + v.size() + " times");
        }
        return v.get(0);
    }

    List<String> options(String name) {
        return options.getOrDefault(name, List.of());
    }

    int intOption(String name, int fallback, int min) {
        String v = option(name);
        if (v == null) {
            return fallback;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw usage("--" + name + " must be a whole number, got \"" + v + "\"");
        }
        if (n < min) {
            throw usage("--" + name + " must be at least " + min + ", got " + n);
        }
        return n;
    }
}
