package chameleon.weights;

import chameleon.tensor.Shape;
import chameleon.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipMethod;

/**
 * A PyTorch zip checkpoint ({@code .pth} / {@code .pt}, written by {@code torch.save} since PyTorch
 * 1.6): a zip holding {@code <prefix>/data.pkl} (the pickled object), {@code <prefix>/byteorder} and
 * one entry {@code <prefix>/data/<key>} of raw little-endian elements per storage.
 *
 * <p><b>Safety.</b> The pickle is run by {@link RestrictedUnpickler}, which only knows the globals a
 * state dict needs ({@link TorchGlobal}) and never executes code, so a checkpoint from the internet can
 * at worst be refused with a {@link WeightsException}.
 *
 * <p><b>Names.</b> The pickled object must be a dict (or list). Tensors directly in it keep their keys;
 * nested dicts and lists are flattened with dots, so the authors' {@code {"generator": state_dict,
 * "generator_ema": state_dict}} gives {@code generator.model.blocks.0.…} and
 * {@code generator_ema.model.blocks.0.…}; list elements are named by their index. Values that are not
 * tensors (step counters, config strings) are skipped. Order is pickle order.
 *
 * <p><b>Memory.</b> The file is memory-mapped read-only. {@code torch.save} stores storages
 * uncompressed, so a contiguous tensor is a view of the mapping at its storage offset, with no copy.
 * Only a compressed storage entry is read (that entry alone, once) into memory owned by this archive,
 * and only a non-contiguous tensor is copied, to a contiguous heap tensor.
 */
public final class PthArchive implements TensorArchive {

    /** Largest {@code data.pkl} accepted; real ones are kilobytes to a few megabytes. */
    static final long MAX_PICKLE_BYTES = 256L << 20;
    /** Deepest nesting of containers when flattening names; state dicts nest two or three levels. */
    static final int MAX_NESTING = 64;
    /** Most container slots visited when flattening: a dict of dicts sharing one child has exponential paths. */
    static final int MAX_FLATTEN_VISITS = 1 << 20;
    /** Longest flattened tensor name; real ones are well under 300 characters. */
    static final int MAX_NAME_LENGTH = 4096;
    /** A non-contiguous tensor larger than its storage (overlapping strides) is copied only up to this. */
    static final long MAX_EXPANSION_BYTES = 64L << 20;
    /** Highest ratio of uncompressed to compressed size DEFLATE can reach (about 1032:1), with slack. */
    private static final long MAX_DEFLATE_RATIO = 1100;

    private final Path source;
    private final Arena arena;
    private final MemorySegment file;
    private final ZipFile zip;
    private final Map<String, PickledTensor> tensors;
    private final List<String> names;
    /** Storage key → its zip entry. */
    private final Map<String, ZipArchiveEntry> storageEntries;
    /** Storage key → bytes read from a compressed entry (stored entries are sliced from {@link #file}). */
    private final Map<String, MemorySegment> inflated = new HashMap<>();
    private boolean closed;

    private PthArchive(Path source, Arena arena, MemorySegment file, ZipFile zip,
                       Map<String, PickledTensor> tensors, Map<String, ZipArchiveEntry> storageEntries) {
        this.source = source;
        this.arena = arena;
        this.file = file;
        this.zip = zip;
        this.tensors = tensors;
        this.names = List.copyOf(tensors.keySet());
        this.storageEntries = storageEntries;
    }

    /**
     * Opens a checkpoint: reads the zip directory and the pickle, and checks every tensor against its
     * storage entry (dtype, extent, entry size) without reading tensor data.
     *
     * @throws WeightsException naming the file if it is not a readable, safe PyTorch zip checkpoint
     */
    public static PthArchive open(Path path) {
        Arena arena = Arena.ofShared();
        ZipFile zip = null;
        try {
            MemorySegment file;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            zip = openZip(path, file);
            ZipArchiveEntry pickle = findPickle(path, zip);
            String name = pickle.getName();
            String prefix = name.substring(0, name.length() - "data.pkl".length());
            checkByteOrder(path, zip, file, prefix);
            MemorySegment pickleBytes = entryBytes(path, zip, file, pickle, MAX_PICKLE_BYTES);
            Object root = new RestrictedUnpickler(pickleBytes, path + " (" + name + ")").load();
            Map<String, PickledTensor> tensors = flatten(path, root);
            Map<String, ZipArchiveEntry> storageEntries = resolveStorages(path, zip, file, prefix, tensors);
            return new PthArchive(path, arena, file, zip, tensors, storageEntries);
        } catch (IOException e) {
            closeQuietly(zip, arena);
            throw new WeightsException(path + ": cannot read PyTorch checkpoint: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(zip, arena);
            throw e;
        }
    }

    // ---- opening ----

    private static ZipFile openZip(Path path, MemorySegment file) {
        try {
            return ZipFile.builder().setPath(path).get();
        } catch (IOException | RuntimeException e) {
            // Commons Compress reports damage in several exception types; all mean "not a valid zip".
            boolean legacy = file.byteSize() >= 2 && file.get(ValueLayout.JAVA_BYTE, 0) == (byte) 0x80;
            throw new WeightsException(path + ": not a readable zip archive"
                    + (legacy ? " (it starts like a raw pickle: the pre-1.6 torch.save format is not supported)" : "")
                    + ": " + e.getMessage(), e);
        }
    }

    /** The single {@code <prefix>/data.pkl}; torch.save uses one top-level folder. */
    private static ZipArchiveEntry findPickle(Path path, ZipFile zip) {
        List<ZipArchiveEntry> found = new ArrayList<>();
        for (ZipArchiveEntry e : Collections.list(zip.getEntries())) {
            String n = e.getName();
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                found.add(e);
            }
        }
        if (found.size() != 1) {
            throw new WeightsException(path + ": expected one <prefix>/data.pkl in the zip, found " + found.size()
                    + (found.isEmpty() ? "" : ": " + found.stream().limit(5).map(e -> shorten(e.getName())).toList()));
        }
        return found.getFirst();
    }

    /** Storages are read as little-endian; a file saved on a big-endian machine is refused. */
    private static void checkByteOrder(Path path, ZipFile zip, MemorySegment file, String prefix) throws IOException {
        ZipArchiveEntry entry = zip.getEntry(prefix + "byteorder");
        if (entry == null) {
            return; // written only since PyTorch 1.10; older files are little-endian
        }
        MemorySegment bytes = entryBytes(path, zip, file, entry, 16);
        String order = new String(bytes.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).trim();
        if (!order.equals("little")) {
            throw new WeightsException(path + ": byteorder is '" + order.replaceAll("\\P{Print}", "?")
                    + "', only little-endian checkpoints are supported");
        }
    }

    /**
     * The bytes of an entry: a slice of the mapping if stored, else the entry alone inflated into an
     * on-heap segment (at most {@code maxBytes}).
     */
    private static MemorySegment entryBytes(Path path, ZipFile zip, MemorySegment file, ZipArchiveEntry entry, long maxBytes)
            throws IOException {
        if (entry.getMethod() == ZipMethod.STORED.getCode()) {
            MemorySegment slice = storedSlice(path, file, entry);
            if (slice.byteSize() > maxBytes) {
                throw new WeightsException(path + ": entry " + entry.getName() + " has " + slice.byteSize()
                        + " bytes, more than the " + maxBytes + " accepted");
            }
            return slice;
        }
        byte[] bytes;
        try (InputStream in = openEntry(path, zip, entry)) {
            bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 16));
        } catch (RuntimeException e) {
            throw damaged(path, entry, e);
        }
        if (bytes.length > maxBytes) {
            throw new WeightsException(path + ": entry " + entry.getName() + " inflates to more than the "
                    + maxBytes + " bytes accepted");
        }
        return MemorySegment.ofArray(bytes);
    }

    /** A stored entry's bytes inside the mapping, after checking the zip's numbers against the file. */
    private static MemorySegment storedSlice(Path path, MemorySegment file, ZipArchiveEntry entry) {
        long offset = entry.getDataOffset();
        long size = entry.getCompressedSize();
        if (offset < 0 || size < 0 || size != entry.getSize() || offset > file.byteSize() || size > file.byteSize() - offset) {
            throw new WeightsException(path + ": zip entry " + entry.getName() + " (offset " + offset + ", "
                    + size + " bytes) does not lie within the " + file.byteSize() + "-byte file");
        }
        return file.asSlice(offset, size);
    }

    private static InputStream openEntry(Path path, ZipFile zip, ZipArchiveEntry entry) throws IOException {
        if (!zip.canReadEntryData(entry)) {
            throw new WeightsException(path + ": entry " + entry.getName() + " uses unsupported zip method "
                    + entry.getMethod());
        }
        try {
            return zip.getInputStream(entry);
        } catch (RuntimeException e) {
            throw damaged(path, entry, e);
        }
    }

    private static WeightsException damaged(Path path, ZipArchiveEntry entry, Exception e) {
        return new WeightsException(path + ": entry " + entry.getName() + " is damaged: " + e, e);
    }

    /**
     * Names every tensor reachable from the pickled object (see the class comment). Recursion is capped
     * in depth and in total work: pickles can share one child under many parents or contain themselves.
     */
    private static Map<String, PickledTensor> flatten(Path path, Object root) {
        if (!(root instanceof Map<?, ?> || root instanceof List<?> || root instanceof RestrictedUnpickler.Tuple)) {
            throw new WeightsException(path + ": holds a " + RestrictedUnpickler.describe(root)
                    + ", not a dict of tensors");
        }
        Map<String, PickledTensor> out = new LinkedHashMap<>();
        flatten(path, root, "", 0, out, new int[1]);
        return out;
    }

    private static void flatten(Path path, Object node, String prefix, int depth, Map<String, PickledTensor> out, int[] visits) {
        if (depth > MAX_NESTING) {
            throw new WeightsException(path + ": containers nested deeper than " + MAX_NESTING
                    + " levels (a cycle or a recursion bomb) at '" + shorten(prefix) + "'");
        }
        List<Object> keys = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        switch (node) {
            case Map<?, ?> m -> m.forEach((k, v) -> {
                keys.add(k);
                values.add(v);
            });
            case List<?> l -> values.addAll(l);
            case RestrictedUnpickler.Tuple(List<Object> items) -> values.addAll(items);
            case null, default -> {
                return; // neither a container nor a tensor: skipped
            }
        }
        for (int i = 0; i < values.size(); i++) {
            if (++visits[0] > MAX_FLATTEN_VISITS) {
                throw new WeightsException(path + ": more than " + MAX_FLATTEN_VISITS
                        + " entries reached through nested containers (a shared-reference bomb?)");
            }
            String key = keys.isEmpty() ? Integer.toString(i) : String.valueOf(keys.get(i));
            if (prefix.length() + key.length() + 1 > MAX_NAME_LENGTH) {
                throw new WeightsException(path + ": tensor name longer than " + MAX_NAME_LENGTH + " characters under '"
                        + shorten(prefix) + "'");
            }
            String name = prefix.isEmpty() ? key : prefix + "." + key;
            if (values.get(i) instanceof PickledTensor t) {
                if (out.putIfAbsent(name, t) != null) {
                    throw new WeightsException(path + ": two tensors flatten to the name '" + shorten(name) + "'");
                }
            } else {
                flatten(path, values.get(i), name, depth + 1, out, visits);
            }
        }
    }

    private static String shorten(String name) {
        return name.length() > 200 ? name.substring(0, 200) + "…" : name;
    }

    /** Finds every storage's entry and checks that it holds at least the bytes the pickle declares. */
    private static Map<String, ZipArchiveEntry> resolveStorages(Path path, ZipFile zip, MemorySegment file, String prefix,
                                                                Map<String, PickledTensor> tensors) {
        Map<String, ZipArchiveEntry> entries = new HashMap<>();
        for (Map.Entry<String, PickledTensor> e : tensors.entrySet()) {
            PickledStorage storage = e.getValue().storage();
            ZipArchiveEntry entry = entries.get(storage.key());
            if (entry == null) {
                entry = zip.getEntry(prefix + "data/" + storage.key());
                if (entry == null) {
                    throw new WeightsException(path + ": tensor " + shorten(e.getKey()) + " needs storage entry "
                            + shorten(prefix + "data/" + storage.key()) + ", which the zip lacks");
                }
                entries.put(storage.key(), entry);
            }
            long available;
            if (entry.getMethod() == ZipMethod.STORED.getCode()) {
                available = storedSlice(path, file, entry).byteSize();
            } else {
                // Declared sizes of a compressed entry can lie; also bound by what DEFLATE can produce.
                long compressed = Math.clamp(entry.getCompressedSize(), 0, file.byteSize());
                available = Math.min(entry.getSize(), compressed * MAX_DEFLATE_RATIO + 1024);
            }
            if (storage.byteSize() > available) {
                throw new WeightsException(path + ": tensor " + shorten(e.getKey()) + " declares a " + storage.dtype()
                        + " storage of " + storage.numel() + " elements (" + storage.byteSize() + " bytes) but entry "
                        + entry.getName() + " holds " + Math.max(available, 0) + " bytes");
            }
        }
        return entries;
    }

    private static void closeQuietly(ZipFile zip, Arena arena) {
        if (zip != null) {
            ZipFile.closeQuietly(zip);
        }
        arena.close();
    }

    // ---- TensorArchive ----

    @Override
    public Path source() {
        return source;
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        PickledTensor t = require(name);
        return new TensorInfo(name, t.dtype(), t.shape());
    }

    /**
     * The tensor in its stored dtype: a view of the mapped file for a contiguous tensor in a stored
     * entry, otherwise a copy. Views are valid until {@link #close()}.
     */
    @Override
    public synchronized Tensor tensor(String name) {
        PickledTensor t = require(name);
        if (closed) {
            throw new WeightsException(source + ": archive is closed");
        }
        Shape shape = t.shape();
        long es = t.dtype().byteSize();
        long bytes = shape.numel() * es;
        if (bytes == 0) {
            return Tensor.wrap(t.dtype(), shape, MemorySegment.ofArray(new byte[0]));
        }
        MemorySegment storage = storageBytes(name, t.storage());
        if (t.isContiguous()) {
            return Tensor.wrap(t.dtype(), shape, storage.asSlice(t.offset() * es, bytes));
        }
        if (bytes > Math.max(storage.byteSize(), MAX_EXPANSION_BYTES) || bytes > Integer.MAX_VALUE - 16) {
            throw new WeightsException(source + ": tensor " + name + " " + shape + " with overlapping strides would expand "
                    + storage.byteSize() + " stored bytes to " + bytes);
        }
        MemorySegment copy = MemorySegment.ofArray(new byte[(int) bytes]);
        t.copyContiguous(storage, copy);
        return Tensor.wrap(t.dtype(), shape, copy);
    }

    private PickledTensor require(String name) {
        PickledTensor t = tensors.get(name);
        if (t == null) {
            throw new WeightsException(source + ": no tensor named '" + name + "'");
        }
        return t;
    }

    /** Exactly the storage's declared bytes (checked at open to fit in its entry). */
    private MemorySegment storageBytes(String tensor, PickledStorage storage) {
        ZipArchiveEntry entry = storageEntries.get(storage.key());
        if (entry.getMethod() == ZipMethod.STORED.getCode()) {
            return storedSlice(source, file, entry).asSlice(0, storage.byteSize());
        }
        MemorySegment bytes = inflated.get(storage.key());
        if (bytes == null || bytes.byteSize() < storage.byteSize()) {
            bytes = inflate(tensor, entry, storage.byteSize());
            inflated.put(storage.key(), bytes);
        }
        return bytes.asSlice(0, storage.byteSize());
    }

    /** Reads the first {@code size} bytes of a compressed entry into memory owned by this archive. */
    private MemorySegment inflate(String tensor, ZipArchiveEntry entry, long size) {
        MemorySegment out = arena.allocate(size, 64);
        byte[] buffer = new byte[1 << 16];
        long filled = 0;
        try (InputStream in = openEntry(source, zip, entry)) {
            while (filled < size) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, size - filled));
                if (n < 0) {
                    throw new WeightsException(source + ": entry " + entry.getName() + " of tensor " + tensor
                            + " ends after " + filled + " of " + size + " bytes");
                }
                MemorySegment.copy(MemorySegment.ofArray(buffer), 0, out, filled, n);
                filled += n;
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof WeightsException we) {
                throw we;
            }
            throw damaged(source, entry, e);
        }
        return out;
    }

    /** Unmaps the file: tensors viewing it must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeQuietly(zip, arena);
        }
    }

    @Override
    public String toString() {
        return "PthArchive[" + source + ", " + names.size() + " tensors]";
    }
}
