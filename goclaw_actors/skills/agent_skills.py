"""One agent's view of the skills (SPEC §4.6 step 4, §5.1 `use_skill`): the instruction skills its
`skills_filter` lets it see, those a message names, and what `use_skill` loaded in each turn.

    skills = AgentSkills(lambda: runtime.catalog, skills_filter=["pdf"])
    skills.matched("convert this pdf")            # [("pdf", "<instructions>")]
    skills.use(task_id, "pdf")                    # "# Skill: pdf\n\n<instructions>" (cached for the turn)
"""

from collections import OrderedDict
from typing import Callable, Iterable

from goclaw_actors.skills.catalog import Skill, SkillCatalog
from goclaw_actors.skills.instructions import SkillUnavailable, load_instructions
from goclaw_actors.skills.matching import named_skills

MAX_SKILLS_PER_TURN = 5
REMEMBERED_TURNS = 256  # turns whose use_skill cache is kept (the oldest is dropped first)


def skill_block(name: str, instructions: str) -> str:
    """A skill as it appears in the system prompt (SPEC §4.6 step 6)."""
    return f"# Skill: {name}\n\n{instructions}"


class AgentSkills:
    """The skills one agent may use, read from the catalog in force at each call."""

    def __init__(self, catalog: Callable[[], SkillCatalog], skills_filter: Iterable[str] = (),
                 usable: Callable[[Skill], bool] = lambda skill: True):
        self.catalog = catalog
        self.filter = frozenset(name.strip().lower() for name in skills_filter if name.strip())
        self.usable = usable  # e.g. not quarantined
        self._turns: OrderedDict[str, dict[str, str]] = OrderedDict()

    def visible(self) -> list[Skill]:
        """Instruction skills the agent may use now: eligible, allowed by its filter and usable."""
        return [skill for skill in self.catalog()
                if skill.kind == "instruction" and not skill.problems and self._allowed(skill) and self.usable(skill)]

    def _allowed(self, skill: Skill) -> bool:
        return not self.filter or skill.name.lower() in self.filter or skill.key in self.filter

    def matched(self, text: str, warn: Callable[..., None] = lambda msg, **attrs: None) -> list[tuple[str, str]]:
        """(name, instructions) of the visible skills `text` names, longest name first, ties lexical."""
        by_name = {skill.name: skill for skill in self.visible()}
        blocks = []
        for name in named_skills(text, by_name):
            try:
                blocks.append((name, load_instructions(by_name[name])))
            except SkillUnavailable as exc:
                warn("skill not injected", skill=name, error=str(exc))
        return blocks

    def use(self, turn: str, name: str) -> str:
        """The skill's block for the rest of turn `turn` (the same text again if already loaded in it);
        raises SkillUnavailable (unknown, filtered out, not eligible, or a 6th skill in one turn)."""
        loaded = self._turns.setdefault(turn, {})
        self._turns.move_to_end(turn)
        while len(self._turns) > REMEMBERED_TURNS:
            self._turns.popitem(last=False)
        skill = self.catalog().get(name)
        if skill is None or not self._allowed(skill):
            raise SkillUnavailable(f"no skill named {name!r}" + self._known())
        if skill.name in loaded:
            return loaded[skill.name]
        if skill.kind != "instruction":
            raise SkillUnavailable(f"skill {skill.name!r} is a {skill.kind} skill; only instruction skills are "
                                   "loaded into a turn")
        if skill.problems:
            raise SkillUnavailable(f"skill {skill.name!r} is not usable here: {'; '.join(skill.problems)}")
        if not self.usable(skill):
            raise SkillUnavailable(f"skill {skill.name!r} is quarantined")
        if len(loaded) >= MAX_SKILLS_PER_TURN:
            raise SkillUnavailable(f"at most {MAX_SKILLS_PER_TURN} skills can be loaded in one turn")
        loaded[skill.name] = skill_block(skill.name, load_instructions(skill))
        return loaded[skill.name]

    def _known(self) -> str:
        names = sorted(skill.name for skill in self.visible())
        return f"; available: {', '.join(names)}" if names else "; no skills are available"
